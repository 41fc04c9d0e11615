out/envlib.d: /tmp/kiln-rec/envdep/dir\ with\ space/envlib.rs /tmp/kiln-rec/envdep/dir\ with\ space/data#1.bin

out/libenvlib.rmeta: /tmp/kiln-rec/envdep/dir\ with\ space/envlib.rs /tmp/kiln-rec/envdep/dir\ with\ space/data#1.bin

/tmp/kiln-rec/envdep/dir\ with\ space/envlib.rs:
/tmp/kiln-rec/envdep/dir\ with\ space/data#1.bin:

# env-dep:KILN_BACKSLASH=C:\\dir\\x=1
# env-dep:KILN_CR=a\rb	c
# env-dep:KILN_ML=line1\nline2
# env-dep:KILN_NOT_SET_ANYWHERE
