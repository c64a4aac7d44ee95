using System.CommandLine;
using MeshDev.Cli.Infrastructure;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev validate [-f FILE]</c>: only the validation; every problem as FILE:LINE:COL: message.</summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var file = CommonOptions.File();
        var command = new Command("validate", "Check the manifest and print every problem as FILE:LINE:COL: message") { file };
        command.SetAction(parse =>
        {
            var manifest = CommonOptions.LoadManifest(parse.GetValue(file)!);
            if (manifest is null)
            {
                return ExitCodes.InvalidManifest;
            }

            Console.WriteLine($"{manifest.FilePath}: valid, {manifest.Services.Length} service{(manifest.Services.Length == 1 ? "" : "s")}");
            foreach (var service in manifest.Services)
            {
                Console.WriteLine($"  {service.Name,-20} {service.Runtime.ToString().ToLowerInvariant(),-8} mesh port {service.MeshPort}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
