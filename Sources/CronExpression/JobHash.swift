/// The stable hash behind `H`: CRC-32 (IEEE 802.3, as zlib and Python's `binascii.crc32`) of the job
/// name's UTF-8 bytes. Unlike Swift's `hashValue` it is the same in every process and on every host,
/// and it is croniter's, so croniter's `hash_id` gives the same `H` values.
enum JobHash {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ text: String) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in text.utf8 { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
