/* The tracer library (trace/shim/kiln_trace.c, built by CMake as kiln_trace) embedded in the
 * kiln binary, so that kiln stays one file; trace/tracer.cpp writes it out on first use. */
    .section .rodata
    .balign 16
    .global kiln_trace_so_start
kiln_trace_so_start:
    .incbin KILN_TRACE_SO
    .global kiln_trace_so_end
kiln_trace_so_end:
    .byte 0
    .section .note.GNU-stack,"",%progbits
