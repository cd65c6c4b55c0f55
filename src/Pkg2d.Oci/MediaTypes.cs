namespace Pkg2d.Oci;

/// <summary>Media types of the OCI image-spec v1 and, for docker-archive interop, Docker's image manifest v2 schema 2.</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>The empty JSON object `{}`: the config of an artifact manifest (OCI 1.1).</summary>
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    /// <summary>An SPDX document in JSON.</summary>
    public const string SpdxJson = "application/spdx+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static bool IsManifest(string mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsGzipLayer(string mediaType) => mediaType is OciLayerGzip or DockerLayerGzip;

    public static bool IsLayer(string mediaType) => mediaType is OciLayer || IsGzipLayer(mediaType);
}

/// <summary>Annotation keys from the OCI image-spec's pre-defined set.</summary>
public static class AnnotationKeys
{
    /// <summary>On index.json entries: the name an image is referenced by (<c>oci:DIR:NAME</c>).</summary>
    public const string RefName = "org.opencontainers.image.ref.name";
    public const string Created = "org.opencontainers.image.created";
    public const string Version = "org.opencontainers.image.version";
    public const string Title = "org.opencontainers.image.title";
    public const string Description = "org.opencontainers.image.description";
}
