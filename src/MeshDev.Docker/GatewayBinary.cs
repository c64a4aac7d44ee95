namespace MeshDev.Docker;

/// <summary>Where this meshdev's gateway binary is: in the installed tool's folder, else in a source checkout's publish output.</summary>
public static class GatewayBinary
{
    /// <summary>The binary's place in the tool's folder (the pack of src/MeshDev.Cli puts it there, its libraries in <c>rootfs/</c> beside it).</summary>
    public static readonly string InTool = Path.Combine("gateway", "linux-x64", "meshdev-gateway");

    /// <summary>Where <c>dotnet publish src/MeshDev.Gateway -r linux-x64 -c Release</c> writes it in a checkout.</summary>
    public static readonly string InCheckout = Path.Combine("src", "MeshDev.Gateway", "bin", "Release", "net10.0", "linux-x64", "publish", "meshdev-gateway");

    /// <summary>
    /// The binary beside <paramref name="baseDirectory"/> (default: this program's folder) when it is there; else, when that
    /// folder is inside a MeshDev checkout (meshdev run from its build output), the checkout's publish output; else the
    /// tool's place, so the missing file named is the one a package should have had.
    /// </summary>
    public static string Find(string? baseDirectory = null)
    {
        baseDirectory ??= AppContext.BaseDirectory;
        var packed = Path.Combine(baseDirectory, InTool);
        if (File.Exists(packed))
        {
            return packed;
        }

        for (var directory = new DirectoryInfo(baseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return Path.Combine(directory.FullName, InCheckout);
            }
        }

        return packed;
    }
}
