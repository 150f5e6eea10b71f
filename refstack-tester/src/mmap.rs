//! Read-only memory maps of stream files: the only `unsafe` code of the
//! workspace (`unsafe_code = "deny"` everywhere, allowed in this module
//! alone; `cargo xtask tidy` rejects `unsafe` in any other file).
//!
//! Parsing a large subunit stream straight from a map saves copying it out
//! of the page cache with `read`; on the 81 MB benchmark stream that is
//! offset by page-table work, so the gain is within the noise there (see
//! BENCHMARKS.md). Like ripgrep, we map only a regular file
//! the user named, at least [`MAP_THRESHOLD`] bytes long; never stdin, a
//! pipe or another special file. Callers fall back to reading when
//! [`map_file`] returns `None`.

use std::fs::File;

/// Files smaller than this are read, not mapped (setting a map up costs
/// more than copying a small file).
pub(crate) const MAP_THRESHOLD: u64 = 1 << 20;

/// Whether large stream files are mapped: not when the environment
/// variable `REFSTACK_TESTER_MMAP` is `off` (for measurements, and a way
/// out should mapping misbehave somewhere).
pub(crate) fn enabled() -> bool {
    std::env::var_os("REFSTACK_TESTER_MMAP").is_none_or(|v| v != "off")
}

/// A read-only map of all of `file`, its pages brought in on first access
/// with the kernel told the access is sequential (`MADV_SEQUENTIAL`), or
/// `None` if `file` is not a regular file of at least `min_len` bytes, or
/// if mapping it fails (the caller then reads the file instead).
/// (`MAP_POPULATE` was measured slower: one thread then faults in the whole
/// file before the parallel parts start.)
pub(crate) fn map_file(file: &File, min_len: u64) -> Option<memmap2::Mmap> {
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() < min_len.max(1) {
        return None;
    }
    let options = memmap2::MmapOptions::new();
    // SAFETY: `Mmap` hands out the mapped bytes as a `&[u8]`, which Rust
    // assumes immutable for its lifetime; the map is read-only and
    // private to this process, so only another process could break that,
    // by modifying or truncating the file while it is mapped (truncation
    // makes accesses past the new end fault with SIGBUS). As ripgrep does,
    // we accept that contract for a stream or results file the user points
    // us at: such files are written once by the test runner before they
    // are converted. Standard input, pipes, special files and small files
    // are never mapped (checked above: regular files only, `min_len`).
    #[allow(unsafe_code)]
    let map = unsafe { options.map(file) }.ok()?;
    // Advice only; a kernel that ignores it changes nothing.
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_regular_files_of_the_threshold_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&bytes)
            .unwrap();
        let file = File::open(&path).unwrap();
        let map = map_file(&file, 4096).unwrap();
        assert_eq!(&map[..], &bytes[..]);
        assert!(map_file(&file, 5001).is_none());
        let empty = dir.path().join("e");
        std::fs::write(&empty, b"").unwrap();
        assert!(map_file(&File::open(&empty).unwrap(), 0).is_none());
        // A directory is not a regular file.
        assert!(map_file(&File::open(dir.path()).unwrap(), 0).is_none());
    }
}
