using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// The image of the gateway sidecar in generated pods: FROM scratch, holding the NativeAOT gateway binary and the
/// shared libraries its publish laid out in <c>rootfs/</c> beside it, and nothing else; it runs as user 65532. Built
/// through the engine's build API from an in-memory context, so no docker CLI is needed.
/// </summary>
public sealed class GatewayImage
{
    /// <summary>The repository of the images meshdev builds; the tag is <see cref="DefaultReference"/>'s hash.</summary>
    public const string Repository = "meshdev/gateway";

    /// <summary>Where the binary sits in the image: its ENTRYPOINT.</summary>
    public const string Entrypoint = "/meshdev-gateway";

    /// <summary>The folder beside the binary holding its shared libraries at their paths in the image (the gateway's publish makes it).</summary>
    public const string LibrariesFolder = "rootfs";

    /// <summary>The label that marks an image as MeshDev's gateway, for people reading <c>docker images</c> and for cleanup.</summary>
    public const string Label = "dev.meshdev.image";

    /// <summary>A numeric non-root user: the image has no /etc/passwd to name one, and the pod's runAsUser is the same.</summary>
    private const int User = 65532;

    private const string PublishCommand = "dotnet publish src/MeshDev.Gateway -r linux-x64 -c Release";

    private readonly byte[] _context;

    private GatewayImage(string binaryPath, BuildContext context, long size)
    {
        BinaryPath = binaryPath;
        _context = context.ToArray();
        // A hash of the files and the Dockerfile, not this meshdev's version: a gateway rebuilt from changed sources
        // under the same version gets a new tag, so neither the engine nor a cluster's node reuses a stale image.
        DefaultReference = $"{Repository}:{context.Hash()}";
        Size = size;
    }

    /// <summary>The gateway binary the image is made of.</summary>
    public string BinaryPath { get; }

    /// <summary>The image this build of the gateway gets unless <c>mesh.kubernetes.gatewayImage</c> names another: <c>meshdev/gateway:{content hash}</c>.</summary>
    public string DefaultReference { get; }

    /// <summary>The bytes of the image's files (the binary and its libraries), about the size of the image.</summary>
    public long Size { get; }

    /// <summary>Reads the binary and the libraries in <c>rootfs/</c> beside it; a missing one is a sentence naming the publish command.</summary>
    public static GatewayImage FromBinary(string binaryPath)
    {
        var libraries = Path.Combine(Path.GetDirectoryName(binaryPath) ?? ".", LibrariesFolder);
        if (!File.Exists(binaryPath) || !Directory.Exists(libraries))
        {
            var missing = File.Exists(binaryPath) ? $"{libraries} (the shared libraries of its image)" : binaryPath;
            var fix = binaryPath.EndsWith(GatewayBinary.InCheckout, StringComparison.Ordinal)
                ? $"publish it with '{PublishCommand}' in the checkout"
                : $"reinstall meshdev, whose package carries it (a package packed on Linux; '{PublishCommand}' in a MeshDev checkout makes it)";
            throw new LaunchException($"the pods' gateway cannot be made into an image: {missing} does not exist; {fix}, or set mesh.kubernetes.gatewayImage to an image your cluster can pull");
        }

        var context = new BuildContext();
        context.File("Dockerfile", System.Text.Encoding.UTF8.GetBytes(Dockerfile()));
        var binary = File.ReadAllBytes(binaryPath);
        context.File(LibrariesFolder + Entrypoint, binary, executable: true);
        var size = (long)binary.Length;
        foreach (var library in Directory.EnumerateFiles(libraries, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var content = File.ReadAllBytes(library);
            var inImage = Path.GetRelativePath(libraries, library).Replace('\\', '/');
            context.File($"{LibrariesFolder}/{inImage}", content, executable: true);
            size += content.Length;
        }

        return new GatewayImage(binaryPath, context, size);
    }

    /// <summary>The image of the gateway this meshdev carries (<see cref="GatewayBinary.Find"/>): its <see cref="DefaultReference"/> is the default image for this build.</summary>
    public static GatewayImage OfThisMeshdev() => FromBinary(GatewayBinary.Find());

    /// <summary>Builds <paramref name="image"/> from the gateway at <paramref name="binaryPath"/> unless the engine has it; true when it built.</summary>
    public static Task<bool> EnsureAsync(DockerClient docker, string image, string binaryPath, Action<string> log, CancellationToken cancellationToken) =>
        FromBinary(binaryPath).EnsureAsync(docker, image, log, cancellationToken);

    /// <summary>Builds <paramref name="image"/> unless the engine has an image of that name; true when it built.</summary>
    public async Task<bool> EnsureAsync(DockerClient docker, string image, Action<string> log, CancellationToken cancellationToken)
    {
        if (await ImageStore.TryInspectAsync(docker, image, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        log($"building the gateway image {image} ({(Size / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)} MB: FROM scratch, {Path.GetFileName(BinaryPath)} and its libraries)");
        var output = new BuildOutput();
        using var context = new MemoryStream(_context, writable: false);
        try
        {
            await docker.Images.BuildImageFromDockerfileAsync(
                new ImageBuildParameters { Tags = [image], Remove = true, ForceRemove = true },
                context,
                authConfigs: null,
                headers: null,
                output,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            throw new LaunchException($"building the gateway image {image} failed: {EngineErrors.Describe(e)}", e);
        }

        // A failed step is reported inside the 200 response's message stream, not as an HTTP error.
        if (output.Error is not null || await ImageStore.TryInspectAsync(docker, image, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new LaunchException($"building the gateway image {image} failed: {output.Error ?? "the engine reported success, but has no such image"}");
        }

        return true;
    }

    private static string Dockerfile() => string.Join('\n',
        "FROM scratch",
        $"COPY {LibrariesFolder}/ /",
        $"USER {User}:{User}",
        $"ENTRYPOINT [\"{Entrypoint}\"]",
        $"LABEL {Label}=\"gateway\" org.opencontainers.image.title=\"meshdev-gateway\" org.opencontainers.image.description=\"The MeshDev gateway sidecar of generated pods\"",
        "");

    /// <summary>Keeps the engine's error from the build's message stream.</summary>
    private sealed class BuildOutput : IProgress<JSONMessage>
    {
        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error?.Message is { Length: > 0 } message)
            {
                Error = message.Trim();
            }
            else if (value.ErrorMessage is { Length: > 0 } text)
            {
                Error = text.Trim();
            }
        }
    }
}
