namespace MeshDev.Docker;

/// <summary>An image reference split the way the engine's pull API wants it: repository, and tag or digest.</summary>
internal readonly record struct ImageReference(string Repository, string TagOrDigest)
{
    public static ImageReference Parse(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            return new ImageReference(image[..at], image[(at + 1)..]);
        }

        // A ':' after the last '/' starts the tag; one before it belongs to a registry's port (localhost:5000/orders).
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? new ImageReference(image[..colon], image[(colon + 1)..]) : new ImageReference(image, "latest");
    }
}
