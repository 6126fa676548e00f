#!/usr/bin/env python3
"""Writes lld's --symbol-ordering-file from entry-trace's lists: the names of the functions that ran,
in the order they first ran.

usage: order-from-trace.py BINARY.debug LINK.map ORDER_FILE TRACE...

lld orders input sections by the names of the symbols they define, so a name stands for every
section that defines it. Most functions have a name and a section of their own (the release build
asks for one section a function). Two kinds need the link map (lld's -Map of the traced binary):
- A name that several functions share (a local helper such as `objectdestroyTm`, one in each object
  file): listing it moves every section that defines it. Left out, the copy that ran stays where it
  is: free if its section is among the hot ones anyway, else alone in the cold text, where it costs
  a 64 KiB window of resident memory (the kernel maps code around each fault). So it is listed unless
  the copy that ran is hot anyway or the sections it would add come to 64 KiB or more.
- A prebuilt Swift library is not built with one section a function: a function that ran there
  brings its object's whole `.text` (the standard library's is 1.6 MB). That is the floor.
"""
import bisect
import collections
import re
import struct
import subprocess
import sys

WINDOW = 64 * 1024  # the kernel's fault-around (fault_around_bytes)

SECTION = re.compile(r"^\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s{9}(\S.*):\(([^)]*)\)$")
SYMBOL = re.compile(r"^\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+\s{17}(\S+)$")


def functions(binary):
    """Each function's names and size, by its address (from the symbol table)."""
    names, sizes = collections.defaultdict(list), {}
    table = subprocess.run(["readelf", "-sW", binary], capture_output=True, text=True, check=True).stdout
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[3] == "FUNC" and fields[6] != "UND":
            address = int(fields[1], 16)
            names[address].append(fields[7])
            sizes[address] = int(fields[2], 16) if fields[2].startswith("0x") else int(fields[2])
    return names, sizes


def sections_by_name(link_map):
    """The input sections (index → size, index → address) and the ones that define each symbol
    name, from lld's map."""
    sizes, addresses, defining = [], [], collections.defaultdict(set)
    current = None  # the code section whose symbols the map lists now; None under a data section
    with open(link_map) as f:
        for line in f:
            match = SECTION.match(line)
            if match:
                current = None
                if match.group(4).startswith(".text"):
                    addresses.append(int(match.group(1), 16))
                    sizes.append(int(match.group(2), 16))
                    current = len(sizes) - 1
                continue
            match = SYMBOL.match(line)
            if match and current is not None:
                defining[match.group(1)].add(current)
    return sizes, addresses, defining


def main():
    binary, link_map, order_file, traces = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    if not traces:
        sys.exit("order-from-trace: no trace files (did the daemon run under entry-trace?)")
    names, sizes = functions(binary)
    ran, seen = [], set()
    for trace in traces:
        with open(trace, "rb") as f:
            data = f.read()
        for (address,) in struct.iter_unpack("<Q", data):
            if address not in seen:
                seen.add(address)
                ran.append(address)
    unknown = [a for a in ran if a not in names]
    if unknown:
        sys.exit(f"order-from-trace: {len(unknown)} traced addresses are no function of {binary} (another build?)")

    section_sizes, section_addresses, defining = sections_by_name(link_map)
    by_address = sorted(range(len(section_addresses)), key=lambda s: section_addresses[s])
    starts = [section_addresses[s] for s in by_address]

    def section_of(address):
        return by_address[bisect.bisect_right(starts, address) - 1]

    candidates = [(address, name) for address in ran for name in names[address]]
    hot = set()
    for _, name in candidates:  # the sections of the names only one section defines
        if len(defining.get(name, ())) <= 1:
            hot |= defining.get(name, set())
    listed, left_out = [], 0
    for address, name in candidates:
        sections = defining.get(name, set())
        if len(sections) > 1:
            added = sections - hot
            if section_of(address) in hot or sum(section_sizes[s] for s in added) >= WINDOW:
                left_out += 1
                continue
            hot |= added
        listed.append(name)
    with open(order_file, "w") as f:
        f.write("".join(name + "\n" for name in listed))
    code = sum(sizes[a] for a in ran)
    print(f"order-from-trace: {len(ran)} functions ran ({code / 2**20:.2f} MiB of code); the sections they bring "
          f"first come to {sum(section_sizes[s] for s in hot) / 2**20:.2f} MiB; {left_out} shared names left out "
          f"-> {order_file}", file=sys.stderr)


if __name__ == "__main__":
    main()
