//! Every rule the image verifier reports. The doc comment of each is its user documentation:
//! `shipcheck explain ID` prints it and docs/rules.md is generated from it.

use shipcheck_report::{declare_rule, Rule};

declare_rule! {
    /// ## What it catches
    /// A descriptor (in index.json, a manifest, or manifest.json) names a blob that is not in
    /// the archive or layout.
    ///
    /// ## Why it breaks releases
    /// Every engine refuses the image on load (`blob sha256:… not found`, `file does not
    /// exist`). Hand-trimmed archives and `oci` layouts garbage-collected by another tool lose
    /// blobs silently.
    ///
    /// ## Fix
    /// Re-export the image from a store that has every blob (`skopeo copy`, `docker save`),
    /// or drop the descriptor that names the missing blob.
    ///
    /// ## Example
    /// `index.json` lists `sha256:3b1f…` but `blobs/sha256/3b1f…` is absent.
    pub BLOB_MISSING = ("image/blob-missing", Error, "a referenced blob is not in the image");
}

declare_rule! {
    /// ## What it catches
    /// A blob whose byte count differs from the `size` its descriptor declares.
    ///
    /// ## Why it breaks releases
    /// Registries reject the push (`size mismatch`), and containerd aborts the import. A
    /// truncated copy is the usual cause.
    ///
    /// ## Fix
    /// Re-export or re-download the image; never edit descriptor sizes by hand.
    ///
    /// ## Example
    /// A layer descriptor says `"size": 2811969` and the blob has 2811904 bytes.
    pub BLOB_SIZE_MISMATCH = ("image/blob-size-mismatch", Error, "a blob's size differs from its descriptor");
}

declare_rule! {
    /// ## What it catches
    /// A blob whose content does not hash to the digest that names it (its descriptor digest,
    /// its `blobs/<alg>/<hex>` path, or its `<hex>.json` config name).
    ///
    /// ## Why it breaks releases
    /// Content addressing is the integrity guarantee of an image. Engines and registries
    /// reject the blob (`digest mismatch`), or worse, a tool that skips the check ships
    /// corrupted bytes.
    ///
    /// ## Fix
    /// Rebuild or re-export the image. If the bytes were edited on purpose, re-compute the
    /// digest and update every descriptor that names it.
    ///
    /// ## Example
    /// `blobs/sha256/2f3c…` hashes to `sha256:9d1a…`.
    pub BLOB_DIGEST_MISMATCH = ("image/blob-digest-mismatch", Error, "a blob's content does not match its digest");
}

declare_rule! {
    /// ## What it catches
    /// A layer whose *decompressed* content does not hash to the `rootfs.diff_ids` entry at
    /// the same position in the image config.
    ///
    /// ## Why it breaks releases
    /// Docker and Podman verify diff_ids on load and stop with `layer … does not match
    /// diff_id` or `invalid diffID`. A layer recompressed correctly keeps its diff_id; a layer
    /// whose content changed does not.
    ///
    /// ## Fix
    /// Re-export the image with a tool that rewrites the config together with the layers
    /// (`skopeo copy`, `crane`), or rebuild it.
    ///
    /// ## Example
    /// Layer 2 decompresses to `sha256:ab12…`, config says `sha256:77ce…`.
    pub DIFF_ID_MISMATCH = ("image/diff-id-mismatch", Error, "a layer's uncompressed digest differs from the config's diff_id");
}

declare_rule! {
    /// ## What it catches
    /// A manifest whose number of layers differs from the number of `rootfs.diff_ids` in its
    /// config.
    ///
    /// ## Why it breaks releases
    /// Engines pair layers with diff_ids by position: a different count means at least one
    /// layer is unverifiable and the load fails (`mismatched number of layers`).
    ///
    /// ## Fix
    /// Re-export the image; a hand-edited manifest or config is the usual cause.
    ///
    /// ## Example
    /// `manifest.json` lists 1 layer and the config has 3 diff_ids.
    pub LAYER_COUNT_MISMATCH = ("image/layer-count-mismatch", Error, "layer count differs from the config's diff_ids");
}

declare_rule! {
    /// ## What it catches
    /// A layer that cannot be read to its end: corrupt compression, a broken tar stream, an
    /// unsupported compression (bzip2), or a decompression bomb that passes the expansion
    /// limit (see docs/ARCHITECTURE.md, "Limits").
    ///
    /// ## Why it breaks releases
    /// The engine fails half-way through unpacking (`unexpected EOF`, `gzip: invalid header`),
    /// often only on the users' machines.
    ///
    /// ## Fix
    /// Rebuild or re-export the layer; check for truncated uploads or downloads.
    ///
    /// ## Example
    /// `gzip: invalid checksum` at 41 MiB into layer `sha256:0c1d…`.
    pub LAYER_UNREADABLE = ("image/layer-unreadable", Error, "a layer cannot be decompressed or read as tar");
}

declare_rule! {
    /// ## What it catches
    /// A media type that contradicts the bytes: a descriptor whose `mediaType` differs from
    /// the `mediaType` inside the blob, or a layer media type that promises one compression
    /// while the bytes use another (e.g. `+gzip` on an uncompressed tar).
    ///
    /// ## Why it breaks releases
    /// containerd and registries pick the decoder from the media type, not the bytes, so the
    /// same image that loads in Docker fails in containerd or after a push.
    ///
    /// ## Fix
    /// Write the media type that matches the content (or recompress the layer to match it).
    ///
    /// ## Example
    /// Layer media type `application/vnd.oci.image.layer.v1.tar+gzip`, content is zstd.
    pub MEDIA_TYPE_MISMATCH = ("image/media-type-mismatch", Warning, "a media type contradicts the content");
}

declare_rule! {
    /// ## What it catches
    /// An index entry whose `platform` differs from the `os`/`architecture`/`variant` in the
    /// config of the image it points to.
    ///
    /// ## Why it breaks releases
    /// Engines choose the image by the index platform and then run what the config says: users
    /// on that platform pull an image for another CPU (`exec format error`).
    ///
    /// ## Fix
    /// Rebuild the multi-platform image; make sure each platform's build really ran for it.
    ///
    /// ## Example
    /// Index says `linux/arm64`, the config says `linux/amd64`.
    pub PLATFORM_MISMATCH = ("image/platform-mismatch", Error, "index platform differs from the image config");
}

declare_rule! {
    /// ## What it catches
    /// A hybrid archive (Docker 25+ `docker save`, BuildKit `type=docker`) whose
    /// `manifest.json` and `index.json` describe different images.
    ///
    /// ## Why it breaks releases
    /// Docker reads `manifest.json`; containerd, Podman and skopeo's oci-archive read
    /// `index.json`. Users of different engines get different images, or one engine fails.
    ///
    /// ## Fix
    /// Re-export with one tool in one step; do not edit either file by hand.
    ///
    /// ## Example
    /// `manifest.json` names config `sha256:ee30…`; `index.json` has `"manifests": null`.
    pub HYBRID_MISMATCH = ("image/hybrid-mismatch", Error, "manifest.json and index.json describe different images");
}

declare_rule! {
    /// ## What it catches
    /// Attestation manifests (BuildKit provenance and SBOM: platform `unknown/unknown`,
    /// annotation `vnd.docker.reference.type=attestation-manifest`). They are listed here
    /// apart, because they are not platforms.
    ///
    /// ## Why it matters
    /// Some consumers treat `unknown/unknown` as a platform: old registries' UIs, tools that
    /// iterate platforms, and the docker-archive transport, which takes no index at all.
    ///
    /// ## Fix
    /// Nothing, if your consumers handle them; otherwise build with `--provenance=false
    /// --sbom=false`, or `shipcheck convert` without `--keep-attestations`.
    ///
    /// ## Example
    /// `sha256:4f62…` attests `sha256:c39b…` (linux/amd64).
    pub ATTESTATION_MANIFEST = ("image/attestation-manifest", Note, "attestation manifest (not a platform)");
}

declare_rule! {
    /// ## What it catches
    /// A blob under `blobs/` that no index, manifest or manifest.json refers to.
    ///
    /// ## Why it matters
    /// It is dead weight in the archive, and often the trace of an image that was meant to
    /// be there (an index that lost an entry, a `manifests: null`).
    ///
    /// ## Fix
    /// Garbage-collect the layout, or restore the descriptor that should name the blob.
    ///
    /// ## Example
    /// `blobs/sha256/411c…` (a manifest) is not listed in index.json.
    pub UNREFERENCED_BLOB = ("image/unreferenced-blob", Note, "a blob nothing refers to");
}

declare_rule! {
    /// ## What it catches
    /// The same content stored more than once in one archive under different names.
    ///
    /// ## Why it matters
    /// The archive is larger than it needs to be; `docker save` uses symlinks for shared
    /// layers for exactly this reason.
    ///
    /// ## Fix
    /// Re-export with a tool that de-duplicates blobs.
    ///
    /// ## Example
    /// `a1…/layer.tar` and `b2…/layer.tar` are byte-identical.
    pub DUPLICATE_BLOB = ("image/duplicate-blob", Note, "the same content is stored twice");
}

declare_rule! {
    /// ## What it catches
    /// A tar archive with two members of the same name.
    ///
    /// ## Why it breaks releases
    /// Extraction keeps the last one and reading tools may keep the first: two engines see
    /// two different images. shipcheck verifies the last one, as extraction would.
    ///
    /// ## Fix
    /// Re-create the archive; never append to an image tar.
    ///
    /// ## Example
    /// `manifest.json` appears twice.
    pub DUPLICATE_ENTRY = ("image/duplicate-entry", Warning, "an archive member name occurs twice");
}

declare_rule! {
    /// ## What it catches
    /// A file in the archive or layout that is part of no known image format structure and
    /// is referenced by nothing (e.g. `.DS_Store`, AppleDouble `._*` files).
    ///
    /// ## Why it matters
    /// Strict readers reject stray files under `blobs/` (`invalid digest`), and they reveal an
    /// archive that was repacked by hand.
    ///
    /// ## Fix
    /// Re-export the image instead of repacking it.
    ///
    /// ## Example
    /// `blobs/sha256/._3b1f…`.
    pub UNKNOWN_ENTRY = ("image/unknown-entry", Note, "a file that belongs to no image structure");
}

declare_rule! {
    /// ## What it catches
    /// A layer member whose path is absolute or contains `..`, or a hard link whose target
    /// does.
    ///
    /// ## Why it breaks releases
    /// A careful engine rejects the layer; a careless extractor writes outside the root file
    /// system (the class of CVE-2019-14271 and the tar-slip bugs).
    ///
    /// ## Fix
    /// Rebuild the layer with a normal build tool; never craft layer tars by hand.
    ///
    /// ## Example
    /// `../../etc/cron.d/x` in layer `sha256:5d2c…`.
    pub LAYER_PATH_ESCAPE = ("image/layer-path-escape", Error, "a layer entry leaves the root file system");
}

declare_rule! {
    /// ## What it catches
    /// A path that occurs more than once inside one layer.
    ///
    /// ## Why it matters
    /// Extractors keep the last one, some scanners read the first: what is scanned is not
    /// what runs.
    ///
    /// ## Fix
    /// Rebuild the layer.
    ///
    /// ## Example
    /// `usr/bin/app` twice in layer `sha256:8e0f…`.
    pub LAYER_DUPLICATE_PATH = ("image/layer-duplicate-path", Warning, "a path occurs twice in one layer");
}

declare_rule! {
    /// ## What it catches
    /// An image manifest (or manifest.json entry) with no layers.
    ///
    /// ## Why it breaks releases
    /// Docker 25.0.x `docker save` wrote such manifests; older Docker and some registries
    /// refuse them, and a `FROM scratch` image with nothing added is rarely what was meant.
    ///
    /// ## Fix
    /// Re-save with Docker ≥ 25.0.4, or check that the build really added files.
    ///
    /// ## Example
    /// `"layers": []` in the manifest of `example:latest`.
    pub NO_LAYERS = ("image/no-layers", Warning, "an image has no layers");
}

declare_rule! {
    /// ## What it catches
    /// `manifest.json` that is `null`, or an index whose `manifests` is `null` or absent.
    ///
    /// ## Why it breaks releases
    /// Docker 25.0.0–25.0.3 wrote `"manifests": null` into index.json; every engine that reads
    /// index.json then finds no image (`no manifests`, `index.json: no image`).
    ///
    /// ## Fix
    /// Re-save with a fixed Docker (≥ 25.0.4), or re-export with skopeo.
    ///
    /// ## Example
    /// `{"schemaVersion":2,"manifests":null}`.
    pub NULL_MANIFEST = ("image/null-manifest", Error, "manifest list is null or missing");
}

declare_rule! {
    /// ## What it catches
    /// An index, manifest, config, manifest.json, repositories or oci-layout document that is
    /// not valid JSON, has a field of the wrong type, or is larger than the JSON size cap
    /// (8 MiB, see docs/ARCHITECTURE.md).
    ///
    /// ## Why it breaks releases
    /// Every engine stops at the first unreadable document.
    ///
    /// ## Fix
    /// Re-export the image. If a tool you own wrote it, validate its output against the OCI
    /// image-spec schemas.
    ///
    /// ## Example
    /// `manifest.json: expected value at line 1 column 1`.
    pub INVALID_JSON = ("image/invalid-json", Error, "an image document is not valid JSON of the expected shape");
}

declare_rule! {
    /// ## What it catches
    /// A platform you require (`--platform`, or `platforms` in shipcheck.toml) that the image
    /// does not provide.
    ///
    /// ## Why it breaks releases
    /// Users on that platform get `no matching manifest for linux/arm64/v8 in the manifest
    /// list entries` — after the release (the Kubo riscv64 case, in reverse).
    ///
    /// ## Fix
    /// Add the platform to the build (`platforms:` in docker/build-push-action, `--platform`
    /// for buildx), or drop it from the requirement.
    ///
    /// ## Example
    /// Required `linux/arm64`; the index has only `linux/amd64`.
    pub MISSING_PLATFORM = ("image/missing-platform", Error, "a required platform is missing");
}

declare_rule! {
    /// ## What it catches
    /// A platform the image provides that is not in your required list.
    ///
    /// ## Why it matters
    /// Usually harmless, but it is a platform nobody promised to test.
    ///
    /// ## Fix
    /// Add it to the required platforms, or stop building it.
    ///
    /// ## Example
    /// Required `linux/amd64`; the index also has `linux/s390x`.
    pub EXTRA_PLATFORM = ("image/extra-platform", Note, "a platform beyond the required ones");
}

declare_rule! {
    /// ## What it catches
    /// An image whose executables are mostly for another CPU than its platform says, read
    /// from the ELF headers of executable files while the layers stream past.
    ///
    /// ## Why it breaks releases
    /// A multi-platform build that copied a prebuilt amd64 binary, or a base image pulled for
    /// the wrong platform, produces an arm64 image that fails on first start with
    /// `exec format error`, and only on arm64 machines.
    ///
    /// ## Fix
    /// Use `TARGETARCH` when downloading binaries, `FROM --platform=$TARGETPLATFORM` for the
    /// runtime stage, and check the base image provides the platform.
    ///
    /// ## Example
    /// Platform `linux/arm64`; 212 of 214 executables are x86-64 (`usr/bin/app`, …).
    pub ARCH_MISMATCH = ("image/arch-mismatch", Error, "executables are for another CPU than the platform");
}

declare_rule! {
    /// ## What it catches
    /// An archive member whose name or link target leaves the archive (absolute, `..`), a link
    /// loop, or a name that is not UTF-8.
    ///
    /// ## Why it breaks releases
    /// Engines extract image archives to a temp directory before loading; such members are a
    /// path-traversal risk and are refused by careful loaders.
    ///
    /// ## Fix
    /// Re-create the archive with `docker save` or `skopeo copy`.
    ///
    /// ## Example
    /// `abc/layer.tar -> ../../../../etc/shadow`.
    pub ARCHIVE_UNSAFE_ENTRY = ("image/archive-unsafe-entry", Error, "an archive member escapes the archive or loops");
}

declare_rule! {
    /// ## What it catches
    /// An archive that ends inside a member, or whose tar structure breaks part-way.
    ///
    /// ## Why it breaks releases
    /// `docker load` fails with `unexpected EOF`; partial uploads and interrupted downloads
    /// are the usual cause.
    ///
    /// ## Fix
    /// Copy or download the archive again and compare its checksum with the source.
    ///
    /// ## Example
    /// `entry declares 2048 bytes at offset 3584, but the file ends at 4000`.
    pub TRUNCATED_ARCHIVE = ("image/truncated-archive", Error, "the archive is truncated or its tar structure is broken");
}

declare_rule! {
    /// ## What it catches
    /// An OCI layout (directory or archive) with index.json but no valid `oci-layout` file
    /// (`{"imageLayoutVersion": "1.0.0"}`).
    ///
    /// ## Why it breaks releases
    /// containers/image (skopeo, Podman, Buildah) refuses the layout: `open …/oci-layout: no
    /// such file or directory`.
    ///
    /// ## Fix
    /// Add the file, or re-export with a tool that writes it.
    ///
    /// ## Example
    /// A BuildKit export repacked without `oci-layout`.
    pub MISSING_OCI_LAYOUT = ("image/missing-oci-layout", Error, "an OCI layout lacks a valid oci-layout file");
}

declare_rule! {
    /// ## What it catches
    /// An engine (from `--engine`, or the default set: the engines on GitHub-hosted Ubuntu
    /// runners, current Fedora and Debian) that will refuse to load the archive, with the error
    /// it gives: Docker before 25 on an archive without manifest.json, Docker before 23 on zstd
    /// layers, `ctr images import` on a compressed archive, an engine that finds a damaged blob.
    ///
    /// ## Why it breaks releases
    /// The archive is published and users' `docker load` / `podman load` fails.
    ///
    /// ## Fix
    /// `shipcheck convert` writes the form every engine loads; or ship the format the engine
    /// reads (a docker save archive with manifest.json, gzip layers).
    ///
    /// ## Example
    /// An OCI-only archive on Docker 20.10: `open /var/lib/docker/tmp/docker-import-…/blobs/json: no such file or directory`.
    pub ENGINE_LOAD_FAILS = ("engine/load-fails", Error, "an engine will fail to load the archive");
}

declare_rule! {
    /// ## What it catches
    /// An engine that loads the archive under names other than the ones it carries (RepoTags,
    /// `io.containerd.image.name`, a full `org.opencontainers.image.ref.name`), or under none.
    ///
    /// ## Why it breaks releases
    /// Scripts and applications that look the image up by name do not find it; each engine
    /// also shows a different image ID (the config digest in Docker's graphdriver store and
    /// Podman, the manifest or index digest in containerd), which the finding lists.
    ///
    /// ## Fix
    /// Give the archive full names in every place engines read them: RepoTags in manifest.json
    /// and `io.containerd.image.name` plus a full `ref.name` in index.json (`shipcheck convert`
    /// does), or look the image up by the IDs listed.
    ///
    /// ## Example
    /// RepoTags `app:1.0` load in Podman as `localhost/app:1.0`, in Docker as `docker.io/library/app:1.0`.
    pub ENGINE_OTHER_NAME = ("engine/other-name", Warning, "an engine will load the image under another name");
}

declare_rule! {
    /// ## What it catches
    /// A BuildKit-style archive whose index.json `ref.name` is a bare tag: Podman 3 (containers/
    /// common before it read `io.containerd.image.name`) loads it as `localhost/<tag>:latest`.
    ///
    /// ## Why it breaks releases
    /// Dangerzone's Debian packages loaded their container image as `localhost/latest:latest` on
    /// Podman 3 and then failed to find it (freedomofpress/dangerzone#988).
    ///
    /// ## Fix
    /// Ship a docker save archive with RepoTags (`shipcheck convert --for podman@3.4`), or write
    /// the full reference into `org.opencontainers.image.ref.name`.
    ///
    /// ## Example
    /// `ref.name: latest`, `io.containerd.image.name: dangerzone.rocks/dangerzone:latest`.
    pub PODMAN3_LOCALHOST_NAME = ("engine/podman3-localhost-name", Warning, "Podman 3 loads the image as localhost/<tag>:latest");
}

/// Every rule of this crate, for `shipcheck explain` and docs/rules.md.
pub static ALL: &[&Rule] = &[
    &ENGINE_LOAD_FAILS,
    &ENGINE_OTHER_NAME,
    &PODMAN3_LOCALHOST_NAME,
    &ARCH_MISMATCH,
    &ARCHIVE_UNSAFE_ENTRY,
    &ATTESTATION_MANIFEST,
    &BLOB_DIGEST_MISMATCH,
    &BLOB_MISSING,
    &BLOB_SIZE_MISMATCH,
    &DIFF_ID_MISMATCH,
    &DUPLICATE_BLOB,
    &DUPLICATE_ENTRY,
    &EXTRA_PLATFORM,
    &HYBRID_MISMATCH,
    &INVALID_JSON,
    &LAYER_COUNT_MISMATCH,
    &LAYER_DUPLICATE_PATH,
    &LAYER_PATH_ESCAPE,
    &LAYER_UNREADABLE,
    &MEDIA_TYPE_MISMATCH,
    &MISSING_OCI_LAYOUT,
    &MISSING_PLATFORM,
    &NO_LAYERS,
    &NULL_MANIFEST,
    &PLATFORM_MISMATCH,
    &TRUNCATED_ARCHIVE,
    &UNKNOWN_ENTRY,
    &UNREFERENCED_BLOB,
];
