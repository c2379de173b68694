#!/usr/bin/env python3
"""Where OpenTelemetry's key check finds its table, in a built binary.

`opentelemetry::baggage::Baggage::is_key_valid` (0.33) asks, for every byte
of every new key, whether the byte is one of the 17 bytes of
`INVALID_ASCII_KEY_CHARS`, with `<[u8]>::contains`. For a 17-byte slice,
`core::slice::memchr::memchr_aligned` compares whole words only when the
table starts at most one byte before an 8-byte boundary; for the other six
of the eight possible addresses it compares all 17 bytes one at a time.
The linker places the table, so the cost of every `insert_with_metadata`
(ours, the SDK's, every baseline's) moves with the build: about 45
instructions a key byte in the first case, about 108 in the second.

Usage: scripts/otel-key-table.py BINARY
Prints the table's address, the address modulo 8, and which case it is.
"""
import re
import subprocess
import sys

USIZE = 8
TABLE = 17


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    binary = sys.argv[1]
    out = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", binary],
        capture_output=True, text=True, check=True,
    ).stdout
    body = re.search(
        r"<opentelemetry::baggage::Baggage::is_key_valid>:\n(.*?)\n\n", out, re.S
    )
    if body is None:
        print("is_key_valid not found (inlined, or not linked in)", file=sys.stderr)
        return 1
    # The table's address is the one rip-relative `lea` of the function.
    leas = re.findall(r"lea\s+-?0x[0-9a-f]+\(%rip\),%\w+\s+#\s+(?:0x)?([0-9a-f]+)\s+<",
                      body.group(1))
    if len(leas) != 1:
        print(f"expected one rip-relative lea, found {len(leas)}", file=sys.stderr)
        return 1
    address = int(leas[0], 16)
    offset = (-address) % USIZE
    # memchr_aligned: `offset` bytes one at a time, then two words at a time
    # while offset <= len - 16, then the rest one at a time.
    words = offset <= TABLE - 2 * USIZE
    bytewise = offset + (TABLE - offset - 2 * USIZE if words else TABLE - offset)
    case = "words" if words else "bytes"
    print(f"table {address:#x}  mod 8 = {address % USIZE}  "
          f"{case}: {bytewise} of {TABLE} bytes compared one at a time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
