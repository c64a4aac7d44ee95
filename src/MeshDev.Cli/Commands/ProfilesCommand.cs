using System.CommandLine;
using System.Text;
using MeshDev.Authoring.Profiles;
using MeshDev.Catalog;
using MeshDev.Cli.Infrastructure;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev profiles [SVC ...] [-f FILE] [--dry-run] [--assign-ports]</c>: a <c>{svc} (mesh)</c> launch profile in each .NET service's
/// launchSettings.json, and a matching VS Code launch configuration and build task, so that the instance run from the
/// IDE listens on the service's fixed port (where the mesh adopts it) with the mesh's discovery environment.
/// </summary>
public static class ProfilesCommand
{
    public static Command Create()
    {
        var services = new Argument<string[]>("SVC")
        {
            Description = "The services (default: every .NET service of the manifest)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var file = CommonOptions.File();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would change, as a diff, and write nothing" };
        var assignPorts = new Option<bool>("--assign-ports") { Description = "Write a free fixed 'port:' into the manifest for the .NET services with port: auto, instead of skipping them" };
        var command = new Command("profiles", "Add a '{svc} (mesh)' IDE launch profile to each .NET service (launchSettings.json, .vscode/launch.json and tasks.json)")
        {
            services,
            file,
            dryRun,
            assignPorts,
        };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(services) ?? [], parse.GetValue(dryRun), parse.GetValue(assignPorts)));
        return command;
    }

    private static int Run(string manifestPath, string[] names, bool dryRun, bool assignPorts)
    {
        var manifest = CommonOptions.LoadManifest(manifestPath);
        if (manifest is null)
        {
            return ExitCodes.InvalidManifest;
        }

        var manifestName = Path.GetFileName(manifest.FilePath);
        var selection = ProfileSelection.Select(manifest, names);
        if (selection.Unknown.Length > 0)
        {
            var list = string.Join(", ", selection.Unknown.Select(n => $"'{n}'"));
            return CommonOptions.Fail($"no service {list} in {manifestName}; its services are {string.Join(", ", manifest.Services.Select(s => s.Name))}");
        }

        ProfileFile? manifestFile = null;
        if (assignPorts && !selection.PortsToSuggest.IsEmpty)
        {
            // The profiles are planned from the manifest as it will be, so a dry run shows both and writes neither.
            try
            {
                (manifestFile, manifest) = ManifestPortWriter.Assign(manifest, selection.PortsToSuggest);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ManifestException)
            {
                return CommonOptions.Fail($"cannot write the ports into {manifestName}: {e.Message}");
            }

            selection = ProfileSelection.Select(manifest, names);
        }

        foreach (var sentence in selection.Skipped)
        {
            Console.Error.WriteLine($"meshdev: {sentence}");
        }

        // The exact command that writes the ports the sentences above name (the same selection computes both).
        var assignPortsCommand = AssignPortsCommand(manifestPath, names, dryRun);
        if (selection.Targets.IsEmpty)
        {
            return CommonOptions.Fail(
                !selection.PortsToSuggest.IsEmpty ? $"no launch profile was written; run {assignPortsCommand} to {(dryRun ? "see" : "write")} the ports above {(dryRun ? "written " : "")}into {manifestName} and the profiles"
                : manifest.Services.Any(s => s.Project is not null) ? "no launch profile was written; see above"
                : $"{manifestName} has no .NET services (with 'project:'); launch profiles are for those");
        }

        var plan = ProfilePlan.Create(manifest, selection.Targets);
        if (!plan.Errors.IsEmpty)
        {
            foreach (var error in plan.Errors)
            {
                Console.Error.WriteLine(error);
            }

            return CommonOptions.Fail("nothing was written; fix the file above (or move it away) and run meshdev profiles again");
        }

        if (manifestFile is not null)
        {
            plan = plan with { Files = plan.Files.Insert(0, manifestFile) };
        }

        var exitCode = dryRun ? Preview(plan) : Write(plan, selection);
        if (exitCode == ExitCodes.Ok && !selection.PortsToSuggest.IsEmpty)
        {
            var left = manifest.Services.Where(s => selection.PortsToSuggest.ContainsKey(s.Name)).Select(s => s.Name);
            Console.Error.WriteLine($"meshdev: to give {string.Join(", ", left)} a port and a profile too, run {assignPortsCommand}");
        }

        return exitCode;
    }

    /// <summary>This run's command line with <c>--assign-ports</c>, quoted for a POSIX shell.</summary>
    private static string AssignPortsCommand(string manifestPath, string[] names, bool dryRun)
    {
        List<string> words = ["meshdev", "profiles", .. names];
        if (manifestPath != CommonOptions.DefaultFile)
        {
            words.AddRange(["-f", manifestPath]);
        }

        words.Add("--assign-ports");
        if (dryRun)
        {
            words.Add("--dry-run");
        }

        return string.Join(' ', words.Select(ShellWord));
    }

    private static string ShellWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@%+,".Contains(c, StringComparison.Ordinal))
            ? word
            : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private static int Write(ProfilePlan plan, ProfileSelection selection)
    {
        foreach (var file in plan.Files)
        {
            try
            {
                file.Write();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CommonOptions.Fail($"cannot write {Display(file.Path)}: {e.Message}");
            }

            Console.WriteLine($"{StatusWord(file.Status),-9} {Display(file.Path)}");
        }

        foreach (var service in selection.Targets)
        {
            Console.WriteLine($"{service.Name}: run the service from your IDE with the '{MeshLaunchProfile.ProfileName(service.Name)}' profile; the mesh adopts it on its next call");
        }

        return ExitCodes.Ok;
    }

    private static int Preview(ProfilePlan plan)
    {
        foreach (var file in plan.Files)
        {
            var path = Display(file.Path);
            if (file.Status == ProfileFileStatus.Unchanged)
            {
                Console.WriteLine($"unchanged {path}");
                continue;
            }

            Console.WriteLine($"would {(file.Status == ProfileFileStatus.Created ? "create" : "update")} {path}");
            var before = file.Before is null ? null : Encoding.UTF8.GetString(file.Before);
            Console.Write(TextDiff.Unified(path.Replace(Path.DirectorySeparatorChar, '/'), before, Encoding.UTF8.GetString(file.After)));
        }

        return ExitCodes.Ok;
    }

    private static string StatusWord(ProfileFileStatus status) => status.ToString().ToLowerInvariant();

    private static string Display(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);
}
