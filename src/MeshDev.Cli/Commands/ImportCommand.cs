using System.CommandLine;
using MeshDev.Authoring.Compose;
using MeshDev.Cli.Infrastructure;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev import compose FILE [-o OUT] [--force]</c>: a manifest of docker services from a Docker Compose file, on
/// stdout or in OUT; what could not be carried over goes to stderr as FILE:LINE:COL: message.
/// </summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The compose file, e.g. docker-compose.yml" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the manifest to this file instead of stdout" };
        var force = new Option<bool>("--force") { Description = "Overwrite the output file if it exists" };
        var compose = new Command("compose", "Turn a Docker Compose file into a manifest of docker services") { file, output, force };
        compose.SetAction(parse => ImportCompose(parse.GetValue(file)!, parse.GetValue(output), parse.GetValue(force)));
        return new Command("import", "Create a manifest from another tool's file") { compose };
    }

    private static int ImportCompose(string composePath, string? outputPath, bool force)
    {
        // Checked first, so a refusal leaves nothing half done and says one thing.
        if (outputPath is not null && File.Exists(outputPath) && !force)
        {
            return CommonOptions.Fail($"{outputPath} already exists; pass --force to overwrite it");
        }

        string yaml;
        try
        {
            yaml = File.ReadAllText(composePath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return CommonOptions.Fail($"{composePath} does not exist; pass the path of a compose file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommonOptions.Fail($"cannot read {composePath}: {e.Message}");
        }

        // Relative host paths are rewritten for where the manifest will live: OUT, or ./meshdev.yaml where stdout is usually saved.
        var manifestDirectory = Path.GetDirectoryName(Path.GetFullPath(outputPath ?? "meshdev.yaml"));
        var result = ComposeImporter.Import(yaml, composePath, manifestDirectory);
        foreach (var finding in result.Findings)
        {
            Console.Error.WriteLine(finding.ToString());
        }

        // On stderr, as the findings: stdout may be the manifest itself.
        foreach (var rewrite in result.Rewrites)
        {
            Console.Error.WriteLine($"rewritten: {rewrite}");
        }

        if (result.Manifest is null)
        {
            Console.Error.WriteLine($"meshdev: {composePath} is not a compose file that can be imported; nothing was written.");
            // The input is invalid, as with an invalid manifest: the same exit code.
            return ExitCodes.InvalidManifest;
        }

        if (outputPath is null)
        {
            Console.Out.Write(result.Manifest);
            return ExitCodes.Ok;
        }

        try
        {
            File.WriteAllText(outputPath, result.Manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommonOptions.Fail($"cannot write {outputPath}: {e.Message}");
        }

        var warnings = result.Findings.Length == 0 ? "" : $"; review the {Plural.Of(result.Findings.Length, "finding")} above";
        Console.WriteLine($"{outputPath}: {Plural.Of(result.ServiceCount, "service")} imported from {composePath}{warnings}");
        return ExitCodes.Ok;
    }
}
