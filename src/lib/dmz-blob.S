/* The dmz trampoline (see dmz/dmz.c), embedded in libhull. */
	.section .rodata
	.globl hull_dmz_blob
	.hidden hull_dmz_blob
	.balign 16
hull_dmz_blob:
	.incbin DMZ_PATH
	.globl hull_dmz_blob_end
	.hidden hull_dmz_blob_end
hull_dmz_blob_end:
	.section .note.GNU-stack,"",@progbits
