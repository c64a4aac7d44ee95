namespace MeshDev.Docker.Tests.Runtime;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("postgres", "postgres", "latest")]
    [InlineData("postgres:16", "postgres", "16")]
    [InlineData("shop/orders:1.2", "shop/orders", "1.2")]
    [InlineData("localhost:5000/orders", "localhost:5000/orders", "latest")]
    [InlineData("127.0.0.1:5000/meshdev-test/pullme:1", "127.0.0.1:5000/meshdev-test/pullme", "1")]
    [InlineData("ghcr.io/acme/orders@sha256:abc", "ghcr.io/acme/orders", "sha256:abc")]
    public void Splits_repository_from_tag_or_digest(string image, string repository, string tagOrDigest)
    {
        var reference = ImageReference.Parse(image);

        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tagOrDigest, reference.TagOrDigest);
    }
}
