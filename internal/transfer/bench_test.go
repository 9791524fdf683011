package transfer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshtest"
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

// smallFiles writes n files of size bytes under root/acq and returns them
// as a batch.
func smallFiles(b *testing.B, root string, n, size int) []BatchFile {
	files := make([]BatchFile, n)
	for i := range files {
		rel := fmt.Sprintf("acq/%05d.dat", i)
		data := randomData(size)
		mkfile(b, filepath.Join(root, rel), data)
		files[i] = BatchFile{Rel: rel, Expect: Expect{Size: int64(size), MD5: md5hex(data)}}
	}
	return files
}

// BenchmarkBatchPull pulls 1,000 files of 1 KiB over a real sshd in one
// batch, each verified and renamed into place, against one rsync
// --files-from of the same files run by hand into a directory.
func BenchmarkBatchPull(b *testing.B) {
	if _, err := exec.LookPath("rsync"); err != nil {
		b.Skip("SKIPPING: rsync is not installed")
	}
	srv := sshtest.Start(b, "alpenhost1")
	b.Setenv(SSHConfigEnv, srv.ConfigFile)
	const n = 1000
	srcRoot := b.TempDir()
	files := smallFiles(b, srcRoot, n, 1<<10)
	var list []byte
	for _, f := range files {
		list = append(append(list, f.Rel...), 0)
	}

	b.Run("batch", func(b *testing.B) {
		var elapsed time.Duration
		for range b.N {
			dstRoot := b.TempDir()
			mkparent(b, filepath.Join(dstRoot, files[0].Rel))
			start := time.Now()
			results, err := RsyncPullBatch(context.Background(), BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: dstRoot, Files: files}, nil)
			elapsed += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range results {
				if r.Err != nil || r.Result.MD5 == "" {
					b.Fatal(r.Err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "files/s")
	})
	b.Run("rsync", func(b *testing.B) {
		var elapsed time.Duration
		for range b.N {
			dst := b.TempDir()
			cmd := exec.Command("rsync", "--rsh=ssh -F "+srv.ConfigFile, "--files-from=-", "--from0", srv.Host()+":"+srcRoot+"/", dst+"/")
			cmd.Stdin = bytes.NewReader(list)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed += time.Since(start)
			if err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "files/s")
	})
}

// BenchmarkHardLinkSmall links 1 KiB files between two nodes on one
// filesystem, each checked against its size and MD5 and renamed into
// place, as a local pull of small files does.
func BenchmarkHardLinkSmall(b *testing.B) {
	srcRoot := b.TempDir()
	files := smallFiles(b, srcRoot, b.N, 1<<10)
	dstRoot := b.TempDir()
	mkparent(b, filepath.Join(dstRoot, files[0].Rel))
	b.ResetTimer()
	for _, f := range files {
		job := Job{Src: filepath.Join(srcRoot, f.Rel), SrcRoot: srcRoot, Dst: filepath.Join(dstRoot, f.Rel), Expect: f.Expect}
		if _, err := HardLink(context.Background(), job); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
