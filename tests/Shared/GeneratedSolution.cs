using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MeshDev.Testing;

/// <summary>
/// A solution as a developer starts one, made by the real SDK templates (offline; nothing restored): <c>dotnet new web</c>
/// (Web), <c>dotnet new grpc</c> (Greeter), <c>dotnet new classlib</c> (Lib, referenced by Web), all in App.slnx and in a
/// classic Classic.sln. Web's appsettings.json names Greeter as a service (<c>services:greeter:http:0</c>), and each
/// launch profile's port is the one the test chose, so a test never depends on the template's random ports.
/// </summary>
internal static partial class GeneratedSolution
{
    public static async Task CreateAsync(string directory, int webPort, int greeterPort)
    {
        await DotnetAsync(directory, "new", "web", "-o", "Web", "--no-restore");
        await DotnetAsync(directory, "new", "grpc", "-o", "Greeter", "--no-restore");
        await DotnetAsync(directory, "new", "classlib", "-o", "Lib", "--no-restore");
        await DotnetAsync(directory, "new", "sln", "-n", "App", "--format", "slnx");
        await DotnetAsync(directory, "new", "sln", "-n", "Classic", "--format", "sln");
        await DotnetAsync(directory, "sln", "App.slnx", "add", "Web/Web.csproj", "Greeter/Greeter.csproj", "Lib/Lib.csproj");
        await DotnetAsync(directory, "sln", "Classic.sln", "add", "Web/Web.csproj", "Greeter/Greeter.csproj", "Lib/Lib.csproj");
        await DotnetAsync(directory, "add", "Web/Web.csproj", "reference", "Lib/Lib.csproj");

        SetPort(Path.Combine(directory, "Web"), webPort);
        SetPort(Path.Combine(directory, "Greeter"), greeterPort);

        var settingsPath = Path.Combine(directory, "Web", "appsettings.json");
        var settings = JsonNode.Parse(File.ReadAllText(settingsPath), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        settings["services"] = new JsonObject { ["greeter"] = new JsonObject { ["http"] = new JsonArray($"http://localhost:{greeterPort}") } };
        File.WriteAllText(settingsPath, settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void SetPort(string project, int port)
    {
        var path = Path.Combine(project, "Properties", "launchSettings.json");
        File.WriteAllText(path, HttpUrl().Replace(File.ReadAllText(path), $"http://localhost:{port}"));
    }

    private static async Task DotnetAsync(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} exited with {process.ExitCode}:{Environment.NewLine}{await stdout}{await stderr}");
        }
    }

    [GeneratedRegex(@"http://localhost:\d+")]
    private static partial Regex HttpUrl();
}
