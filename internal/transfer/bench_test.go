package transfer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const benchSize = 256 << 20

// benchDirs returns a 256 MiB source file on disk and a destination
// directory on another filesystem, as for a local pull that cannot link.
func benchDirs(b *testing.B) (src, dstDir string) {
	dir := b.TempDir()
	dstDir = otherFilesystem(b, dir)
	src = filepath.Join(dir, "src.dat")
	mkfile(b, src, randomData(benchSize))
	return src, dstDir
}

// BenchmarkLocalCopy measures the in-process copy, which reads the source
// once while hashing it, flushes the copy and renames it into place.
func BenchmarkLocalCopy(b *testing.B) {
	src, dstDir := benchDirs(b)
	dst := filepath.Join(dstDir, "dst.dat")
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		if _, err := Copy(context.Background(), Job{Src: src, Dst: dst}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIOCopy is the baseline: io.Copy between the same places, and a
// flush, without hashing or renaming.
func BenchmarkIOCopy(b *testing.B) {
	src, dstDir := benchDirs(b)
	dst := filepath.Join(dstDir, "dst.dat")
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		in, err := os.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(dst)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			b.Fatal(err)
		}
		if err := out.Sync(); err != nil {
			b.Fatal(err)
		}
		out.Close()
		in.Close()
	}
}
