using System.CommandLine;
using MeshDev.Catalog;
using MeshDev.Cli.Infrastructure;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev validate [-f FILE] [--json]</c>: only the validation; every problem as FILE:LINE:COL: message.</summary>
public static class ValidateCommand
{
    /// <summary>The <c>--json</c> answer.</summary>
    public sealed record Report(string Manifest, bool Valid, IReadOnlyList<ServiceRow> Services, IReadOnlyList<Problem> Problems);

    public sealed record ServiceRow(string Name, string Runtime, int MeshPort);

    public sealed record Problem(string File, int Line, int Column, string Message);

    public static Command Create()
    {
        var file = CommonOptions.File();
        var json = CommonOptions.Json();
        var command = new Command("validate", "Check the manifest and print every problem as FILE:LINE:COL: message") { file, json };
        command.SetAction(parse =>
        {
            if (parse.GetValue(json))
            {
                var report = Check(parse.GetValue(file)!);
                JsonOutput.Print(report);
                return report.Valid ? ExitCodes.Ok : ExitCodes.InvalidManifest;
            }

            var manifest = CommonOptions.LoadManifest(parse.GetValue(file)!);
            if (manifest is null)
            {
                return ExitCodes.InvalidManifest;
            }

            Console.WriteLine($"{manifest.FilePath}: valid, {Plural.Of(manifest.Services.Length, "service")}");
            foreach (var service in manifest.Services)
            {
                Console.WriteLine($"  {service.Name,-20} {service.Runtime.ToString().ToLowerInvariant(),-8} mesh port {service.MeshPort}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Report Check(string path)
    {
        var fullPath = Path.GetFullPath(path);
        try
        {
            var manifest = ManifestLoader.Load(path);
            return new Report(manifest.FilePath, true,
                [.. manifest.Services.Select(s => new ServiceRow(s.Name, s.Runtime.ToString().ToLowerInvariant(), s.MeshPort))], []);
        }
        catch (ManifestException ex)
        {
            return new Report(fullPath, false, [],
                [.. ex.Errors.Select(e => new Problem(e.Location.File, e.Location.Line, e.Location.Column, e.Message))]);
        }
    }
}
