import Glibc

/// Gives the heap's free pages back to the system.
///
/// Loading 10,000 jobs leaves megabytes of freed parse and load garbage spread between live objects;
/// glibc returns free memory only from the top of the heap unless asked, so the daemon kept about
/// 4 MiB it no longer used (measured with `malloc_stats`, see BENCHMARKS.md).
enum HeapTrim {
    /// `int malloc_trim(size_t pad)`, from `<malloc.h>`, which Swift's Glibc module does not import.
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    /// Returns whether any memory was given back; `false` also when the C library has no
    /// `malloc_trim` (not glibc). The corresponding C function is `malloc_trim(0)`.
    @discardableResult
    static func releaseFreePages() -> Bool {
        // dlsym(RTLD_DEFAULT, …): RTLD_DEFAULT is a null handle in glibc.
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        let trim = unsafeBitCast(symbol, to: MallocTrim.self)
        // malloc_trim reports 1 if it released memory and 0 if there was none to release; it has no error.
        return trim(0) == 1
    }
}
