namespace Pkg2d.Oci.Distribution;

/// <summary>One image to push: to REPOSITORY:TAG on the client's registry.</summary>
public sealed record PushImage(string Repository, string Tag, IOciArtifact Artifact);

/// <summary>What happened to one blob in one repository.</summary>
public enum BlobOutcome
{
    /// <summary>Its bytes were sent.</summary>
    Uploaded,

    /// <summary>The repository had it already.</summary>
    Skipped,

    /// <summary>The registry linked it from another repository of the same push.</summary>
    Mounted,
}

/// <summary>Counts over a whole push, for the closing summary.</summary>
public sealed record PushSummary(int Uploaded, int Skipped, int Mounted, long BytesUploaded, int Manifests, int ManifestsSkipped);

/// <summary>Hears a push as it goes, for a progress display.</summary>
public interface IPushProgress
{
    /// <summary>Bytes of a blob sent so far; called often while it uploads.</summary>
    void Uploading(string repository, Descriptor blob, long sent);

    void BlobDone(string repository, Descriptor blob, BlobOutcome outcome);

    void ManifestDone(string repository, string reference, Descriptor manifest, bool skipped);
}

/// <summary>
/// Pushes images to one registry so that it stores exactly their digests: every blob a manifest references first
/// (skipped when the repository has it, mounted when another repository of this push has it), then the manifests
/// with their own bytes; for an image index, its images by digest and then the index by tag. The artifacts that
/// refer to an image (its SBOM) follow it by digest; a registry without the referrers API gets them listed in the
/// referrers tag schema's index too (tag `sha256-HEX` of the image's digest). Failures name the registry, the
/// repository and the step.
/// </summary>
public sealed class ImagePusher(RegistryClient client, IPushProgress? progress = null)
{
    private readonly Dictionary<Digest, string> _holder = [];
    private readonly HashSet<(string Repository, Digest Digest)> _done = [];
    private int _uploaded, _skipped, _mounted, _manifests, _manifestsSkipped;
    private long _bytes;

    /// <summary>The counts over every image pushed so far.</summary>
    public PushSummary Summary => new(_uploaded, _skipped, _mounted, _bytes, _manifests, _manifestsSkipped);

    /// <summary>Pushes one image or index and tags it; returns the digest the tag now names.</summary>
    public async Task<Digest> PushAsync(PushImage image, CancellationToken cancellationToken = default)
    {
        if (!RegistryTarget.IsValidTag(image.Tag))
            throw new ArgumentException($"'{image.Tag}' is not a valid tag (letters, digits, _ . -; at most 128, not starting with . or -)");
        var repository = image.Repository;
        await Step(repository, "connecting", async () =>
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        switch (image.Artifact)
        {
            case OciImage single:
                await PushImageAsync(repository, single, image.Tag, cancellationToken).ConfigureAwait(false);
                break;
            case OciImageIndex index:
                foreach (var platformImage in index.Images)
                    await PushImageAsync(repository, platformImage, platformImage.Descriptor.Digest.ToString(), cancellationToken).ConfigureAwait(false);
                await PushManifestAsync(repository, index.IndexBlob, image.Tag, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentException($"cannot push a {image.Artifact.GetType().Name}");
        }
        return image.Artifact.Descriptor.Digest;
    }

    private async Task PushImageAsync(string repository, OciImage image, string reference, CancellationToken cancellationToken)
    {
        foreach (var blob in image.Layers.Append<IBlob>(image.ConfigBlob))
            await PushBlobAsync(repository, blob, cancellationToken).ConfigureAwait(false);
        await PushManifestAsync(repository, image.ManifestBlob, reference, cancellationToken).ConfigureAwait(false);
        foreach (var referrer in image.Referrers)
            await PushReferrerAsync(repository, referrer, cancellationToken).ConfigureAwait(false);
    }

    private async Task PushReferrerAsync(string repository, OciReferrer referrer, CancellationToken cancellationToken)
    {
        foreach (var blob in referrer.Blobs.Skip(1))
            await PushBlobAsync(repository, blob, cancellationToken).ConfigureAwait(false);
        var subject = referrer.Subject.Digest;
        var indexed = await PushManifestAsync(repository, referrer.ManifestBlob, referrer.Descriptor.Digest.ToString(), cancellationToken).ConfigureAwait(false)
            // Stored before: whether the registry lists it by itself is what its referrers API says.
            ?? await Step(repository, $"asking for the referrers of {subject}",
                () => client.HasReferrersApiAsync(repository, subject, cancellationToken)).ConfigureAwait(false);
        if (indexed)
            return;
        // The registry keeps no referrers index of its own: the tag schema's index, as the distribution spec says
        // clients keep it. Written only when it lacks this artifact.
        var tag = $"{Digest.Algorithm}-{subject.Hex}";
        var existing = await Step(repository, $"reading the referrers of {subject} (tag {tag})",
            () => client.GetManifestAsync(repository, tag, MediaTypes.OciIndex, cancellationToken)).ConfigureAwait(false);
        IReadOnlyList<Descriptor> listed;
        try
        {
            listed = existing is null ? [] : ImageIndex.Parse(existing, $"tag {tag}").Manifests;
        }
        catch (InvalidDataException e)
        {
            throw new RegistryException($"push {client.Registry}/{repository}: reading the referrers of {subject}: {e.Message}");
        }
        if (listed.Any(d => d.Digest == referrer.Descriptor.Digest))
            return;
        var index = new ImageIndex([.. listed, referrer.Descriptor]);
        await PushManifestAsync(repository, new MemoryBlob(MediaTypes.OciIndex, index.ToJson()), tag, cancellationToken).ConfigureAwait(false);
    }

    private async Task PushBlobAsync(string repository, IBlob blob, CancellationToken cancellationToken)
    {
        var descriptor = blob.Descriptor;
        var digest = descriptor.Digest;
        if (!_done.Add((repository, digest)))
            return;
        if (await Step(repository, $"checking blob {digest}", () => client.BlobExistsAsync(repository, digest, cancellationToken)).ConfigureAwait(false))
        {
            Done(repository, descriptor, BlobOutcome.Skipped);
            return;
        }
        Uri? location = null;
        if (_holder.TryGetValue(digest, out var from))
        {
            location = await Step(repository, $"mounting blob {digest} from {from}",
                () => client.MountBlobAsync(repository, digest, from, cancellationToken)).ConfigureAwait(false);
            if (location is null)
            {
                Done(repository, descriptor, BlobOutcome.Mounted);
                return;
            }
        }
        location ??= await Step(repository, $"starting the upload of blob {digest}",
            () => client.StartUploadAsync(repository, cancellationToken)).ConfigureAwait(false);
        await Step(repository, $"uploading blob {digest}", async () =>
        {
            await client.UploadBlobAsync(repository, location, blob, sent => progress?.Uploading(repository, descriptor, sent), cancellationToken)
                .ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        _bytes += descriptor.Size;
        Done(repository, descriptor, BlobOutcome.Uploaded);
    }

    /// <returns>Whether the registry indexed the manifest's subject (`OCI-Subject`); null when the manifest was there already.</returns>
    private async Task<bool?> PushManifestAsync(string repository, MemoryBlob manifest, string reference, CancellationToken cancellationToken)
    {
        var descriptor = manifest.Descriptor;
        var byDigest = reference == descriptor.Digest.ToString();
        var stored = await Step(repository, $"checking manifest {reference}",
            () => client.ManifestDigestAsync(repository, reference, descriptor.MediaType, cancellationToken)).ConfigureAwait(false);
        var skipped = stored == descriptor.Digest;
        bool? indexed = null;
        if (skipped)
        {
            _manifestsSkipped++;
        }
        else
        {
            indexed = await Step(repository, byDigest ? $"pushing manifest {descriptor.Digest}" : $"pushing manifest {descriptor.Digest} as tag {reference}",
                () => client.PutManifestAsync(repository, reference, manifest, cancellationToken)).ConfigureAwait(false);
            _manifests++;
        }
        progress?.ManifestDone(repository, reference, descriptor, skipped);
        return indexed;
    }

    private void Done(string repository, Descriptor blob, BlobOutcome outcome)
    {
        _holder.TryAdd(blob.Digest, repository);
        switch (outcome)
        {
            case BlobOutcome.Uploaded:
                _uploaded++;
                break;
            case BlobOutcome.Skipped:
                _skipped++;
                break;
            case BlobOutcome.Mounted:
                _mounted++;
                break;
        }
        progress?.BlobDone(repository, blob, outcome);
    }

    /// <summary>Runs one request, turning its failure into an error that says where and what: <c>push HOST/REPO: STEP: why</c>.</summary>
    private async Task<T> Step<T>(string repository, string step, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            var why = e.InnerException is { } inner && e.Message.Contains("inner exception", StringComparison.Ordinal)
                ? $"{e.Message.Replace(", see inner exception.", "", StringComparison.Ordinal).TrimEnd('.')}: {inner.Message}"
                : e.Message;
            throw new RegistryException($"push {client.Registry}/{repository}: {step}: {why}", (e as HttpRequestException)?.StatusCode, e);
        }
    }
}
