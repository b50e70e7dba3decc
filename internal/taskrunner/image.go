package taskrunner

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OCI annotation keys the runner sets as image labels.
const (
	LabelRevision = "org.opencontainers.image.revision"
	LabelSource   = "org.opencontainers.image.source"
)

// ImageInput is everything an assembled image is made of. Equal inputs give
// equal digests: nothing of the moment or the machine goes into the image
// beyond the architecture the build ran on.
type ImageInput struct {
	// Base is the image the layer goes on; nil is scratch.
	Base v1.Image
	// LayerDir is the directory whose tree becomes the one new layer, laid
	// out from the image's root.
	LayerDir string
	// Commit is the source commit (the revision label).
	Commit string
	// CommitTime is the commit's committer time: the files' modification
	// time and the image's creation time.
	CommitTime time.Time
	// Source is the repository's URL without credentials (the source label).
	Source string
	// Entrypoint is the image's entrypoint; the base's when empty.
	Entrypoint []string
}

// AssembleImage builds the image of in without a container runtime: the
// base (or an empty OCI image), one gzip layer of LayerDir whose entries are
// sorted, owned by root and stamped with CommitTime, and a config with the
// entrypoint, the revision and source labels and CommitTime as its creation
// time.
func AssembleImage(in ImageInput) (v1.Image, error) {
	layerTar, err := tarDir(in.LayerDir, in.CommitTime)
	if err != nil {
		return nil, err
	}
	base := in.Base
	layerType := types.DockerLayer
	if base == nil {
		base = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	if mt, err := base.MediaType(); err == nil && mt == types.OCIManifestSchema1 {
		layerType = types.OCILayer
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(layerType))
	if err != nil {
		return nil, fmt.Errorf("cannot make the image layer: %w", err)
	}
	created := v1.Time{Time: in.CommitTime.UTC()}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: layerType,
		History:   v1.History{Created: created, CreatedBy: "mc-taskrunner", Comment: "build output of " + in.Commit},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot add the layer to the image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read the image config: %w", err)
	}
	cf = cf.DeepCopy()
	if cf.Architecture == "" {
		cf.Architecture = goarch()
	}
	if cf.OS == "" {
		cf.OS = "linux"
	}
	cf.Created = created
	if len(in.Entrypoint) > 0 {
		cf.Config.Entrypoint = append([]string(nil), in.Entrypoint...)
		cf.Config.Cmd = nil
	}
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels[LabelRevision] = in.Commit
	if in.Source != "" {
		cf.Config.Labels[LabelSource] = in.Source
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("cannot write the image config: %w", err)
	}
	return img, nil
}

// tarDir returns an uncompressed tar of dir's tree in a fixed order, with
// every entry owned by root:root and modified at mtime. Symbolic links are
// kept as links; other special files are refused.
func tarDir(dir string, mtime time.Time) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the build output: %w", err)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime = mtime.UTC().Truncate(time.Second)
	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil, err
		}
		name := filepath.ToSlash(rel)
		info, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: name, Mode: int64(info.Mode().Perm()), ModTime: mtime, Format: tar.FormatPAX}
		switch {
		case info.Mode().IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		case info.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return nil, err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		default:
			return nil, fmt.Errorf("cannot put %s into the image: not a file, directory or symbolic link", name)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// goarch is the architecture the runner (and so the local build) runs on.
func goarch() string { return runtime.GOARCH }
