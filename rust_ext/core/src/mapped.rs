//! Arrays that are either built in memory or read in place from a memory-mapped file: the
//! lexicon and the fuzzy index are saved as aligned arrays, so loading them maps the file
//! instead of copying ~150 MB into fresh memory (which the kernel first zeroes), and every
//! worker process of a corpus run shares the one copy in the page cache.

use std::io::{self, Write};
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use bytemuck::{Pod, Zeroable};
use memmap2::Mmap;

use crate::lexicon::LexiconError;

// Tables are saved in the machine's byte order and read in place: little-endian only.
#[cfg(target_endian = "big")]
compile_error!("termnorm's saved tables are little-endian");

/// What an [`Array`] reads from: a mapped file, or (tests, small buffers) bytes in memory
/// aligned like a page.
enum Backing {
    Map(Mmap),
    Lines(Vec<Line>),
}

/// 64 bytes aligned to 64: the strictest alignment an array in a saved file asks for.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(64))]
struct Line([u8; 64]);

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Map(m) => m,
            Backing::Lines(v) => bytemuck::cast_slice(v),
        }
    }
}

enum Owner<T> {
    Vec(#[allow(dead_code)] Vec<T>),
    Shared(#[allow(dead_code)] Arc<Backing>),
}

/// A read-only `[T]` that owns its memory, or a view into a file mapping it keeps alive.
pub(crate) struct Array<T: Pod> {
    ptr: *const T,
    len: usize,
    _owner: Owner<T>,
}

// SAFETY: the elements are plain data that nothing writes to after construction; the owner
// (a Vec or a shared read-only mapping) is Send + Sync.
unsafe impl<T: Pod + Sync> Send for Array<T> {}
unsafe impl<T: Pod + Sync> Sync for Array<T> {}

impl<T: Pod> From<Vec<T>> for Array<T> {
    fn from(v: Vec<T>) -> Self {
        Array {
            ptr: v.as_ptr(),
            len: v.len(),
            _owner: Owner::Vec(v),
        }
    }
}

impl<T: Pod> Default for Array<T> {
    fn default() -> Self {
        Vec::new().into()
    }
}

impl<T: Pod> Deref for Array<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` points at `len` initialized, aligned `T`s that the owner keeps alive
        // and unchanged (a Vec's heap buffer does not move when the Vec does).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// Where each array's data starts: a multiple of its own alignment and of 8.
fn align_of<T>() -> u64 {
    std::mem::align_of::<T>().max(8) as u64
}

/// Writes the layout [`Reader`] maps: a magic, then u64s and arrays, each array as its length
/// and then its elements little-endian at an aligned offset.
pub(crate) struct Writer<'a, W: Write> {
    w: &'a mut W,
    pos: u64,
}

impl<'a, W: Write> Writer<'a, W> {
    pub(crate) fn new(w: &'a mut W, magic: &[u8; 8]) -> io::Result<Self> {
        w.write_all(magic)?;
        Ok(Writer { w, pos: 8 })
    }

    pub(crate) fn u64(&mut self, x: u64) -> io::Result<()> {
        self.bytes(&x.to_le_bytes())
    }

    pub(crate) fn array<T: Pod>(&mut self, v: &[T]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        self.pad(align_of::<T>())?;
        self.bytes(bytemuck::cast_slice(v))?;
        self.pad(8)
    }

    fn pad(&mut self, to: u64) -> io::Result<()> {
        let n = self.pos.next_multiple_of(to) - self.pos;
        self.bytes(&[0u8; 64][..n as usize])
    }

    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.w.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }
}

/// Reads what a [`Writer`] wrote, handing out arrays that point into the file.
pub(crate) struct Reader {
    data: Arc<Backing>,
    /// the file's length (bytes in memory are padded past it)
    len: usize,
    pos: usize,
}

fn truncated() -> LexiconError {
    LexiconError("file shorter than its tables say".into())
}

impl Reader {
    /// Map `path` and check its magic. The files mapped here are caches that are only ever
    /// replaced by a rename, never written in place, so the mapping does not change under us.
    pub(crate) fn open(path: &Path, magic: &[u8; 8], what: &str) -> Result<Self, LexiconError> {
        let f = std::fs::File::open(path).map_err(|e| LexiconError(e.to_string()))?;
        // SAFETY: see above; a file truncated by someone else would fault, as any mmap would.
        let map = unsafe { Mmap::map(&f) }.map_err(|e| LexiconError(e.to_string()))?;
        let len = map.len();
        Reader::with(Backing::Map(map), len, magic, what)
    }

    /// Read from bytes in memory (copied once into aligned storage).
    pub(crate) fn from_bytes(b: &[u8], magic: &[u8; 8], what: &str) -> Result<Self, LexiconError> {
        let mut lines = vec![Line([0; 64]); b.len().div_ceil(64)];
        bytemuck::cast_slice_mut::<Line, u8>(&mut lines)[..b.len()].copy_from_slice(b);
        Reader::with(Backing::Lines(lines), b.len(), magic, what)
    }

    fn with(data: Backing, len: usize, magic: &[u8; 8], what: &str) -> Result<Self, LexiconError> {
        if len < 8 || data.bytes()[..8] != magic[..] {
            return Err(LexiconError(format!(
                "not a termnorm {what} file (bad magic)"
            )));
        }
        Ok(Reader {
            data: Arc::new(data),
            len,
            pos: 8,
        })
    }

    pub(crate) fn u64(&mut self) -> Result<u64, LexiconError> {
        if self.pos + 8 > self.len {
            return Err(truncated());
        }
        let b = &self.data.bytes()[self.pos..self.pos + 8];
        self.pos += 8;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    pub(crate) fn array<T: Pod>(&mut self) -> Result<Array<T>, LexiconError> {
        let n = self.u64()?;
        let start = (self.pos as u64).next_multiple_of(align_of::<T>());
        let end = n
            .checked_mul(std::mem::size_of::<T>() as u64)
            .and_then(|b| b.checked_add(start))
            .filter(|&e| e <= self.len as u64)
            .ok_or_else(truncated)?;
        let bytes = &self.data.bytes()[start as usize..end as usize];
        let items: &[T] = bytemuck::try_cast_slice(bytes)
            .map_err(|e| LexiconError(format!("misaligned table: {e}")))?;
        self.pos = (end as usize).next_multiple_of(8);
        Ok(Array {
            ptr: items.as_ptr(),
            len: items.len(),
            _owner: Owner::Shared(Arc::clone(&self.data)),
        })
    }
}
