using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary><c>mesh: kubernetes: { gatewayImage }</c>: the image of the gateway in generated pods, for clusters that pull from a registry.</summary>
public sealed class GatewayImageSettingsTests
{
    private const string ManifestPath = "/work/meshdev.yaml";
    private const string Service = "services:\n  orders:\n    command: /bin/true\n";

    [Fact]
    public void Without_a_gateway_image_the_mesh_uses_the_one_it_builds()
    {
        var manifest = ManifestLoader.Parse("mesh:\n  http: 15000\n" + Service, ManifestPath);

        Assert.Null(manifest.Mesh.GatewayImage);
    }

    [Theory]
    [InlineData("{ gatewayImage: registry.example.com:5000/meshdev/gateway:1.0 }", "registry.example.com:5000/meshdev/gateway:1.0")]
    [InlineData("\n    gatewayImage: ghcr.io/acme/gateway@sha256:0123abcd", "ghcr.io/acme/gateway@sha256:0123abcd")]
    public void Gateway_image_is_read_from_mesh_kubernetes(string kubernetes, string expected)
    {
        var manifest = ManifestLoader.Parse($"mesh:\n  kubernetes: {kubernetes}\n" + Service, ManifestPath);

        Assert.Equal(expected, manifest.Mesh.GatewayImage);
    }

    [Fact]
    public void An_empty_kubernetes_mapping_keeps_the_default()
    {
        var manifest = ManifestLoader.Parse("mesh:\n  kubernetes: {}\n" + Service, ManifestPath);

        Assert.Null(manifest.Mesh.GatewayImage);
    }

    [Theory]
    [InlineData("{ gatwayImage: gw:1 }", "2:17: unknown key 'gatwayImage' in mesh.kubernetes; did you mean 'gatewayImage'?")]
    [InlineData("{ namespace: dev }", "2:17: unknown key 'namespace' in mesh.kubernetes (expected one of: gatewayImage)")]
    [InlineData("{ gatewayImage: [gw:1] }", "2:31: 'gatewayImage' in mesh.kubernetes must be an image reference like registry.example.com/meshdev/gateway:1.0")]
    [InlineData("{ gatewayImage: \"meshdev/gateway: 1\" }", "2:31: 'gatewayImage' in mesh.kubernetes must be an image reference like registry.example.com/meshdev/gateway:1.0, without spaces")]
    [InlineData("{ gatewayImage: \"\" }", "2:31: 'gatewayImage' in mesh.kubernetes must be an image reference like registry.example.com/meshdev/gateway:1.0, without spaces")]
    [InlineData("{ gatewayImage: }", "2:17: 'gatewayImage' in mesh.kubernetes has no value")]
    [InlineData("meshdev/gateway:1", "2:15: 'kubernetes' in mesh must be a mapping like { gatewayImage: registry.example.com/meshdev/gateway:1.0 }")]
    public void A_wrong_kubernetes_setting_is_located_and_says_what_is_expected(string kubernetes, string expected)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse($"mesh:\n  kubernetes: {kubernetes}\n" + Service, ManifestPath));

        Assert.Equal([$"{ManifestPath}:{expected}"], error.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_typo_in_the_kubernetes_key_suggests_it()
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse("mesh:\n  kubernetess: { gatewayImage: gw:1 }\n" + Service, ManifestPath));

        Assert.Equal([$"{ManifestPath}:2:3: unknown key 'kubernetess' in mesh; did you mean 'kubernetes'?"], error.Errors.Select(e => e.ToString()));
    }
}
