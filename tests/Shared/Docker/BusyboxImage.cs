using Docker.DotNet;

namespace MeshDev.Testing.Docker;

/// <summary>
/// <c>meshdev-test/busybox:{hash}</c>: Debian's static busybox (package busybox-static) imported as a rootfs, since no
/// registry image can be pulled here. Its default command serves <c>/www</c> with busybox httpd on 127.0.0.1:$PORT.
/// </summary>
internal static class BusyboxImage
{
    /// <summary>Where busybox-static installs the binary.</summary>
    public const string BusyboxPath = "/bin/busybox";

    /// <summary>The body of <c>GET /</c> from the default command's httpd.</summary>
    public const string IndexHtml = "meshdev-test busybox httpd\n";

    /// <summary>Port of the default command when the container's environment has no PORT.</summary>
    public const int DefaultPort = 8080;

    // What tests run: a shell, an HTTP server and client, and the small tools scripts in a container use.
    private static readonly string[] Applets = ["sh", "httpd", "wget", "sleep", "echo", "cat", "test", "nc", "true", "false", "env", "ls", "kill"];

    /// <summary>Builds the image unless one with the same content hash is there already; returns its reference.</summary>
    public static async Task<string> EnsureAsync(DockerClient docker, CancellationToken cancellationToken)
    {
        if (!File.Exists(BusyboxPath))
        {
            throw new InvalidOperationException($"{BusyboxPath} not found; run devtools/setup.sh, which installs busybox-static");
        }

        var rootfs = new RootfsTarball()
            .File(BusyboxPath, await File.ReadAllBytesAsync(BusyboxPath, cancellationToken), executable: true)
            .Directory("/tmp", (UnixFileMode)0b1_111_111_111) // 1777, like any /tmp
            .Directory("/etc")
            .File("/www/index.html", IndexHtml);
        foreach (var applet in Applets)
        {
            rootfs.Symlink($"/bin/{applet}", "busybox");
        }

        string[] changes =
        [
            "ENV PATH=/bin",
            $"CMD [\"sh\", \"-c\", \"exec httpd -f -v -p 127.0.0.1:${{PORT:-{DefaultPort}}} -h /www\"]",
        ];
        var reference = ImageTags.Reference("busybox", rootfs.ContentHash(changes));
        if (!await LocalImages.ExistsAsync(docker, reference, cancellationToken))
        {
            await LocalImages.ImportAsync(docker, reference, rootfs.ToArray(), changes, cancellationToken);
        }

        return reference;
    }
}
