// Reading the session variables (see session_env.h).
#include "session/session_env.h"

#include <cstdlib>

namespace kiln {

SessionEnv session_env() {
  auto get = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  return {get(kSessionVar), get(kIndexFileVar), get(kPrefetchDirVar), get(kWarningsFileVar)};
}

}  // namespace kiln
