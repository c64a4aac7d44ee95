using System.CommandLine;
using MeshDev.Catalog;

namespace MeshDev.Cli.Infrastructure;

/// <summary>Options shared by several verbs, and loading the manifest with errors printed the way editors read them.</summary>
public static class CommonOptions
{
    public static Option<string> File() => new("--file", "-f")
    {
        Description = "The manifest (default: ./meshdev.yaml)",
        DefaultValueFactory = _ => "meshdev.yaml",
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON for scripts" };

    /// <summary>Loads and validates; on failure prints every problem as FILE:LINE:COL: message and returns null.</summary>
    public static MeshManifest? LoadManifest(string path)
    {
        try
        {
            return ManifestLoader.Load(path);
        }
        catch (ManifestException ex)
        {
            foreach (var error in ex.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }

            Console.Error.WriteLine($"{ex.Errors.Count} problem{(ex.Errors.Count == 1 ? "" : "s")} in {Path.GetFullPath(path)}; nothing was started.");
            return null;
        }
    }

    /// <summary>One plain sentence on stderr, docker-style.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"meshdev: {message}");
        return ExitCodes.Failed;
    }
}
