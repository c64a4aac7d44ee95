using System.CommandLine;
using MeshDev.Authoring.Init;
using MeshDev.Cli.Infrastructure;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev init [PATH...] [-o OUT] [--force]</c>: a manifest with one <c>project:</c> service per web or gRPC project
/// of a folder, solution or project list; prints what it wrote and why, and what it skipped.
/// </summary>
public static class InitCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "A folder (default: this one), a .sln/.slnx solution, or project files",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string?>("--output", "-o") { Description = "The manifest to write (default: meshdev.yaml beside the folder or solution)" };
        var force = new Option<bool>("--force") { Description = "Overwrite the manifest if it exists" };
        var command = new Command("init", "Write a manifest with a service for each web or gRPC project of a folder or solution") { paths, output, force };
        command.SetAction(parse => Run(parse.GetValue(paths) ?? [], parse.GetValue(output), parse.GetValue(force)));
        return command;
    }

    private static int Run(string[] paths, string? output, bool force)
    {
        var current = Environment.CurrentDirectory;
        InitSources sources;
        try
        {
            sources = InitSources.Resolve(paths, current);
        }
        catch (InitException e)
        {
            return CommonOptions.Fail(e.Message);
        }

        var manifestPath = Path.GetFullPath(output ?? Path.Combine(sources.Directory, CommonOptions.DefaultFile), current);
        var shown = Shown(manifestPath, current);

        // Checked before anything is read, so a refusal says one thing and costs nothing.
        if (File.Exists(manifestPath) && !force)
        {
            Console.Error.WriteLine($"meshdev: {shown} already exists; pass --force to overwrite it (or -o to write another file)");
            return ExitCodes.WouldOverwrite;
        }

        var result = ManifestInit.Create(sources, manifestPath);
        var plan = result.Plan;
        foreach (var service in plan.Services)
        {
            Console.WriteLine($"{service.Name}: {Shown(service.ProjectPath, current)}");
            foreach (var reason in service.Reasons)
            {
                Console.WriteLine($"  {reason}");
            }
        }

        foreach (var skipped in plan.Skipped)
        {
            Console.WriteLine($"skipped {Shown(skipped.ProjectPath, current)}: {skipped.Reason}");
        }

        foreach (var warning in plan.Warnings)
        {
            Console.Error.WriteLine($"meshdev: {warning}");
        }

        if (plan.Services.IsEmpty)
        {
            return CommonOptions.Fail($"no web or gRPC project in {plan.Source} ({Plural.Of(sources.Projects.Count, "project")} read); nothing was written");
        }

        if (result.Problems.Count > 0)
        {
            // init's own output must always load; if it does not, the user gets the text to see why, not a broken file.
            Console.Error.Write(result.Yaml);
            foreach (var problem in result.Problems)
            {
                Console.Error.WriteLine(problem.ToString());
            }

            return CommonOptions.Fail($"the manifest init made for {plan.Source} is not valid (above); nothing was written. Please report it with the problems shown");
        }

        try
        {
            File.WriteAllText(manifestPath, result.Yaml);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommonOptions.Fail($"cannot write {shown}: {e.Message}");
        }

        Console.WriteLine($"wrote {shown}: {Plural.Of(plan.Services.Length, "service")} from {plan.Source}, valid; run meshdev up{(shown == CommonOptions.DefaultFile ? "" : $" -f {shown}")}");
        if (plan.ComposeFile is { } compose)
        {
            var composeShown = Shown(compose, current);
            var importTo = Shown(Path.Combine(Path.GetDirectoryName(manifestPath)!, "meshdev.compose.yaml"), current);
            Console.WriteLine($"{composeShown} is there too: meshdev import compose {composeShown} -o {importTo} makes its services docker services; copy those the projects above do not already run into {shown}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>A path as the user would type it from here: relative when below the current folder.</summary>
    private static string Shown(string path, string current)
    {
        var relative = Path.GetRelativePath(current, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
