using System.CommandLine;
using MeshDev.Catalog;
using MeshDev.Text;

namespace MeshDev.Cli.Infrastructure;

/// <summary>Options shared by several verbs, and loading the manifest with errors printed the way editors read them.</summary>
public static class CommonOptions
{
    /// <summary>The manifest <c>-f</c> names when it is not given.</summary>
    public const string DefaultFile = "meshdev.yaml";

    public static Option<string> File() => new("--file", "-f")
    {
        Description = $"The manifest, or the folder that holds it as {DefaultFile} (default: {DefaultFile} here or in the nearest folder above)",
        DefaultValueFactory = _ => NearestManifest(Directory.GetCurrentDirectory()),
        // '-f samples/shop' is read as the folder's meshdev.yaml, as 'kubectl -f' takes a folder: reading the folder
        // itself as a file failed with "Access to the path is denied", which blamed permissions.
        CustomParser = result => result.Tokens is [.., var last] ? InFolder(last.Value) : NearestManifest(Directory.GetCurrentDirectory()),
    };

    /// <summary><paramref name="path"/>, or its <see cref="DefaultFile"/> when it names a folder.</summary>
    public static string InFolder(string path) => Directory.Exists(path) ? Path.Combine(path, DefaultFile) : path;

    /// <summary>
    /// The manifest a verb without <c>-f</c> means: <c>meshdev.yaml</c> in <paramref name="directory"/>, else in the
    /// nearest folder above it, as compose finds its file. A developer in a project's folder (Orders/, where the IDE and
    /// <c>dotnet</c> put them) means the mesh of the solution around it, not "no mesh is running" for a file that is not
    /// there. Relative when it is the one here (that is how messages have always shown it); "meshdev.yaml" when there is none.
    /// </summary>
    public static string NearestManifest(string directory)
    {
        if (System.IO.File.Exists(Path.Combine(directory, DefaultFile)))
        {
            return DefaultFile;
        }

        for (var folder = new DirectoryInfo(directory).Parent; folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, DefaultFile);
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        return DefaultFile;
    }

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

            Console.Error.WriteLine($"{Plural.Of(ex.Errors.Count, "problem")} in {Path.GetFullPath(path)}; nothing was started.");
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
