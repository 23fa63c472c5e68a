//go:build !purego

#include "textflag.h"

// UPPER16 uppercases the sixteen bytes in register x, using t as scratch.
//
// t = x + (0x80-'a') in every byte lane (wrapping) maps 'a'..'z' onto
// 0x80..0x99, which as signed bytes are -128..-103 and so the only lanes not
// greater than -103 (X9). PCMPGTB sets 0xFF in the other lanes, PANDN turns
// that into 0x20 in the lowercase lanes only, and PXOR clears bit 5 there:
// 'a'..'z' become 'A'..'Z' and every other byte is unchanged.
#define UPPER16(x, t) \
	MOVO    x, t;   \
	PADDB   X8, t;  \
	PCMPGTB X9, t;  \
	PANDN   X10, t; \
	PXOR    t, x

// func upperSSE2(b []byte)
// Requires len(b) >= 16.
TEXT ·upperSSE2(SB), NOSPLIT, $0-24
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	LEAQ -16(SI)(CX*1), DI // the last sixteen bytes

	MOVQ       $0x1F1F1F1F1F1F1F1F, AX // 0x80-'a'
	MOVQ       AX, X8
	PUNPCKLQDQ X8, X8
	MOVQ       $0x9999999999999999, AX // -103, ('z'+0x80-'a') as a signed byte
	MOVQ       AX, X9
	PUNPCKLQDQ X9, X9
	MOVQ       $0x2020202020202020, AX // 'a'-'A'
	MOVQ       AX, X10
	PUNPCKLQDQ X10, X10

	CMPQ CX, $64
	JB   loop16

loop64:
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	UPPER16(X0, X4)
	UPPER16(X1, X5)
	UPPER16(X2, X6)
	UPPER16(X3, X7)
	MOVOU X0, 0(SI)
	MOVOU X1, 16(SI)
	MOVOU X2, 32(SI)
	MOVOU X3, 48(SI)
	ADDQ  $64, SI
	SUBQ  $64, CX
	CMPQ  CX, $64
	JAE   loop64

loop16:
	CMPQ  CX, $16
	JB    last
	MOVOU (SI), X0
	UPPER16(X0, X4)
	MOVOU X0, (SI)
	ADDQ  $16, SI
	SUBQ  $16, CX
	JMP   loop16

last:
	// Fewer than sixteen bytes left: redo the last sixteen, which overlap
	// bytes already done (uppercasing them again changes nothing).
	TESTQ CX, CX
	JZ    done
	MOVOU (DI), X0
	UPPER16(X0, X4)
	MOVOU X0, (DI)

done:
	RET
