using Docker.DotNet;
using Docker.DotNet.Models;

namespace MeshDev.Testing.Docker;

/// <summary>
/// <c>meshdev-test/dotnet-aot:{hash}</c>: tests/MeshDev.ContainerService published with NativeAOT, in an image that holds
/// nothing else but the shared libraries the binary links against (what <c>ldd</c> lists), the way a FROM-scratch image of
/// a real .NET service would look. The binary is its ENTRYPOINT.
/// </summary>
internal static class DotnetAotImage
{
    /// <summary>Where the binary sits in the image.</summary>
    public const string BinaryPath = "/app/container-service";

    /// <summary>The image label holding the hash of the sources it was published from; a run with unchanged sources skips the publish.</summary>
    public const string SourcesLabel = "meshdev.test.sources";

    private const string Name = "dotnet-aot";
    private const string ProjectName = "MeshDev.ContainerService";

    /// <summary>Publishes and imports the image unless one built from the same sources is there already; returns its reference.</summary>
    public static async Task<string> EnsureAsync(DockerClient docker, CancellationToken cancellationToken)
    {
        var sources = HashSources();
        if (await FindBuiltFromAsync(docker, sources, cancellationToken) is { } existing)
        {
            return existing;
        }

        var binary = await PublishAsync(cancellationToken);
        var rootfs = new RootfsTarball()
            .File(BinaryPath, await File.ReadAllBytesAsync(binary, cancellationToken), executable: true)
            .Directory("/tmp", (UnixFileMode)0b1_111_111_111); // 1777: .NET may put its temporary files there
        foreach (var library in await SharedLibrariesAsync(binary, cancellationToken))
        {
            // At the very path ldd names (the loader's path is compiled into the binary), with the content of what it resolves to.
            rootfs.File(library, await File.ReadAllBytesAsync(library, cancellationToken), executable: true);
        }

        string[] changes = [$"ENTRYPOINT [\"{BinaryPath}\"]", $"LABEL {SourcesLabel}={sources}"];
        var reference = ImageTags.Reference(Name, rootfs.ContentHash(changes));
        if (!await LocalImages.ExistsAsync(docker, reference, cancellationToken))
        {
            await LocalImages.ImportAsync(docker, reference, rootfs.ToArray(), changes, cancellationToken);
        }

        return reference;
    }

    /// <summary>A hash of the project's sources and the repository-wide build settings (<see cref="SourceHash"/>).</summary>
    internal static string HashSources() => SourceHash.Of(RepositoryPaths.ContainerService);

    private static async Task<string?> FindBuiltFromAsync(DockerClient docker, string sources, CancellationToken cancellationToken)
    {
        var images = await docker.Images.ListImagesAsync(
            new ImagesListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["reference"] = new Dictionary<string, bool> { [$"{ImageTags.Repository}/{Name}"] = true },
                    ["label"] = new Dictionary<string, bool> { [$"{SourcesLabel}={sources}"] = true },
                },
            },
            cancellationToken);
        return images.SelectMany(image => image.RepoTags ?? []).Order(StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>Runs the real <c>dotnet publish</c> (NativeAOT, linux-x64) into the test output; returns the binary's path.</summary>
    private static async Task<string> PublishAsync(CancellationToken cancellationToken)
    {
        var output = Path.Combine(AppContext.BaseDirectory, "container-service-aot");
        string[] arguments =
        [
            "publish", Path.Combine(RepositoryPaths.ContainerService, ProjectName + ".csproj"),
            "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output,
            "--nologo", "--disable-build-servers",
        ];
        var (exitCode, log) = await ChildProcess.RunAsync(ChildProcess.Dotnet, arguments, RepositoryPaths.Root, cancellationToken);
        var binary = Path.Combine(output, ProjectName);
        if (exitCode != 0 || !File.Exists(binary))
        {
            throw new InvalidOperationException(
                $"dotnet {string.Join(' ', arguments)} failed (exit code {exitCode}{(exitCode == 0 ? $", but {binary} is missing" : "")}):{Environment.NewLine}{log}");
        }

        return binary;
    }

    /// <summary>The absolute paths in <c>ldd</c>'s answer for <paramref name="binary"/> (the libraries and the loader; not the vDSO).</summary>
    private static async Task<IReadOnlyList<string>> SharedLibrariesAsync(string binary, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await ChildProcess.RunAsync("ldd", [binary], Path.GetDirectoryName(binary)!, cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"ldd {binary} failed (exit code {exitCode}): {output}");
        }

        // "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)", "linux-vdso.so.1 (0x…)"
        var libraries = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var path = (line.Split("=>", 2) is [_, var resolved] ? resolved : line).Trim().Split(' ', 2)[0];
            if (path.StartsWith('/'))
            {
                libraries.Add(path);
            }
            else if (line.Contains("not found", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"ldd {binary}: {line}");
            }
        }

        return libraries.Count > 0 ? libraries : throw new InvalidOperationException($"ldd {binary} listed no libraries: {output}");
    }
}
