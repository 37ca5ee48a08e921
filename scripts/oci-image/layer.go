package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// layerTar packs a directory tree into a reproducible tar: entries sorted by path, one fixed mtime,
// owner 0:0 unless the spec names another owner for a path, no user or group names, no device or
// access times. The same tree and spec always give the same bytes, so the same digest.
func layerTar(root string, mtime time.Time, owners map[string]Owner) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, path := range paths {
		if err := addEntry(tw, root, path, mtime, owners); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar of %s: %w", root, err)
	}
	return buf.Bytes(), nil
}

func addEntry(tw *tar.Writer, root, path string, mtime time.Time, owners map[string]Owner) error {
	info, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	rel := filepath.ToSlash(strings.TrimPrefix(path, root+string(os.PathSeparator)))
	hdr := &tar.Header{Name: rel, ModTime: mtime, Mode: int64(info.Mode().Perm()), Format: tar.FormatPAX}
	if info.Mode()&fs.ModeSticky != 0 {
		hdr.Mode |= 0o1000
	}
	if owner, ok := owners[rel]; ok {
		hdr.Uid, hdr.Gid = owner.UID, owner.GID
	}
	switch {
	case info.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return fmt.Errorf("readlink %s: %w", path, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case info.Mode().IsRegular():
		hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
	default:
		return fmt.Errorf("%s: only directories, regular files and symlinks belong in an image layer", path)
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("tar header %s: %w", rel, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("tar %s: %w", rel, err)
	}
	return nil
}
