using MeshDev.Runtime;

namespace MeshDev.Docker.Tests.Gateway;

/// <summary>Finding this meshdev's gateway and naming its image, without an engine.</summary>
public sealed class GatewayFilesTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meshdev-gateway-files-" + Guid.NewGuid().ToString("N"));

    public GatewayFilesTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_tools_own_gateway_is_found_beside_it()
    {
        var binary = Write(Path.Combine(_directory, GatewayBinary.InTool), "gateway");

        Assert.Equal(binary, GatewayBinary.Find(_directory));
    }

    [Fact]
    public void Run_from_a_checkouts_build_output_the_checkouts_publish_is_used()
    {
        Write(Path.Combine(_directory, "MeshDev.sln"), "");
        var output = Path.Combine(_directory, "src", "MeshDev.Cli", "bin", "Debug", "net10.0");
        Directory.CreateDirectory(output);

        Assert.Equal(Path.Combine(_directory, GatewayBinary.InCheckout), GatewayBinary.Find(output));
    }

    [Fact]
    public void A_gateway_missing_from_a_checkout_names_the_publish_command_and_the_setting()
    {
        var binary = Path.Combine(_directory, GatewayBinary.InCheckout);

        var error = Assert.Throws<LaunchException>(() => GatewayImage.FromBinary(binary));

        Assert.Contains($"{binary} does not exist; publish it with 'dotnet publish src/MeshDev.Gateway -r linux-x64 -c Release' in the checkout", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("or set mesh.kubernetes.gatewayImage to an image your cluster can pull", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_missing_from_the_tool_says_to_reinstall_it()
    {
        var binary = Path.Combine(_directory, GatewayBinary.InTool);

        var error = Assert.Throws<LaunchException>(() => GatewayImage.FromBinary(binary));

        Assert.Contains($"{binary} does not exist; reinstall meshdev, whose package carries it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_without_its_libraries_is_refused()
    {
        var binary = Write(Path.Combine(_directory, "meshdev-gateway"), "gateway");

        var error = Assert.Throws<LaunchException>(() => GatewayImage.FromBinary(binary));

        Assert.Contains($"{Path.Combine(_directory, "rootfs")} (the shared libraries of its image) does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_tag_is_a_hash_of_the_content_so_a_rebuilt_gateway_gets_a_new_one()
    {
        var binary = Write(Path.Combine(_directory, "meshdev-gateway"), "gateway 1");
        Write(Path.Combine(_directory, "rootfs", "lib", "libc.so.6"), "libc");

        var first = GatewayImage.FromBinary(binary).DefaultReference;
        var again = GatewayImage.FromBinary(binary).DefaultReference;
        File.WriteAllText(binary, "gateway 2");
        var rebuilt = GatewayImage.FromBinary(binary).DefaultReference;

        Assert.Matches("^meshdev/gateway:[0-9a-f]{16}$", first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, rebuilt);
    }

    private static string Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }
}
