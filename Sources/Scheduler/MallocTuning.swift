import Glibc

/// How the daemon asks glibc's allocator to give memory back, measured in BENCHMARKS.md ("Scheduler",
/// with 10,000 jobs loaded; "One run on a warm connection", the trim threshold).
///
/// `<malloc.h>` is not in Swift's Glibc module, so its functions are found with `dlsym`; with
/// another C library they are missing and nothing happens.
public enum MallocTuning {
    /// `int mallopt(int param, int value)`.
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    /// `int malloc_trim(size_t pad)`.
    private typealias MallocTrim = @convention(c) (Int) -> Int32
    /// `M_MMAP_THRESHOLD` in `<malloc.h>`.
    private static let mmapThresholdParameter: Int32 = -3

    /// Serves every block of 128 KiB or more with its own mapping, returned to the system when freed.
    ///
    /// glibc starts at that threshold but raises it each time such a block is freed, up to 32 MiB;
    /// loading 10,000 jobs then left its large transient arrays (the parse's, the first reload diff's)
    /// inside the heap, where their pages stayed resident: 3.6 MiB of the daemon's RSS. Fixing the
    /// threshold turns off the raising. Call it first thing, before the schedules are read.
    ///
    /// - Returns: whether the allocator took the setting; `false` also without glibc.
    /// The corresponding C function is `mallopt(M_MMAP_THRESHOLD, 131072)`.
    @discardableResult
    public static func returnLargeBlocksWhenFreed() -> Bool {
        setOption(mmapThresholdParameter, to: 128 * 1024)
    }

    /// `M_TRIM_THRESHOLD` in `<malloc.h>`.
    private static let trimThresholdParameter: Int32 = -1

    /// Lets each of glibc's heaps keep up to 1 MiB free at its top instead of 128 KiB before it gives
    /// the pages back.
    ///
    /// With the threshold at its default (fixed once ``returnLargeBlocksWhenFreed()`` fixes the mmap
    /// threshold), every ledger commit freed ~190 KiB at the top of the ledger thread's heap, glibc
    /// gave it back (`madvise`, inside the transaction), and the next commit faulted the same pages in
    /// again: ~0.1 ms of each intent's write, on the path from a slot to its create (BENCHMARKS.md,
    /// "One run on a warm connection"). Memory a burst freed is still given back by
    /// ``releaseFreePages()`` and by glibc once more than 1 MiB is free at a heap's top.
    ///
    /// - Returns: whether the allocator took the setting; `false` also without glibc.
    /// The corresponding C function is `mallopt(M_TRIM_THRESHOLD, 1048576)`.
    @discardableResult
    public static func keepRecentlyFreedPages() -> Bool {
        setOption(trimThresholdParameter, to: 1024 * 1024)
    }

    /// `mallopt(parameter, value)`; whether glibc took it (`false` also without glibc).
    private static func setOption(_ parameter: Int32, to value: Int32) -> Bool {
        // dlsym(RTLD_DEFAULT, …): RTLD_DEFAULT is a null handle in glibc.
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        // mallopt returns 1 on success and 0 on error (an out-of-range value); it sets no errno.
        return mallopt(parameter, value) == 1
    }

    /// Gives the heap's free pages back to the system.
    ///
    /// Loading 10,000 jobs leaves freed parse and load garbage spread between live objects; glibc
    /// returns free memory only from the top of the heap unless asked, so the daemon kept about
    /// 2 MiB it no longer used (measured with `malloc_stats`).
    ///
    /// - Returns: whether any memory was given back; `false` also without glibc.
    /// The corresponding C function is `malloc_trim(0)`.
    @discardableResult
    static func releaseFreePages() -> Bool {
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        let trim = unsafeBitCast(symbol, to: MallocTrim.self)
        // malloc_trim reports 1 if it released memory and 0 if there was none to release; it has no error.
        return trim(0) == 1
    }
}
