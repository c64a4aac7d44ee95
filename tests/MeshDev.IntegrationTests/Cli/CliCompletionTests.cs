using System.Diagnostics;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// <c>meshdev completion bash|zsh|pwsh</c> prints a script that asks meshdev itself (the <c>[suggest]</c> directive);
/// bash, which runs here, completes verbs and the manifest's service names with it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliCompletionTests
{
    [Theory]
    [InlineData("bash", "complete -o default -F _meshdev_complete meshdev")]
    [InlineData("zsh", "compdef _meshdev meshdev")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName meshdev")]
    public async Task Completion_prints_a_script_for_the_shell(string shell, string wiring)
    {
        await using var cli = new MeshdevCli();

        var script = (await cli.RunOkAsync("completion", shell)).Stdout;

        Assert.Contains(wiring, script);
        Assert.Contains("meshdev \"[suggest:", script);
    }

    [Fact]
    public async Task Completion_for_an_unknown_shell_is_refused()
    {
        await using var cli = new MeshdevCli();

        var result = await cli.RunAsync("completion", "fish");

        Assert.True(result.ExitCode != 0, result.ToString());
    }

    [Fact]
    public async Task Bash_completes_verbs_options_and_the_manifest_service_names()
    {
        await using var cli = new MeshdevCli();
        new ManifestBuilder(cli.Tag).Service("front").Service("worker").WriteTo(cli.Directory);
        // `meshdev` on PATH, as after 'dotnet tool install'.
        var bin = Directory.CreateDirectory(Path.Combine(cli.Directory, "bin")).FullName;
        var wrapper = Path.Combine(bin, "meshdev");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet \"{TestPaths.MeshdevDll}\" \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal(["start", "status", "stop"], await CompleteAsync(cli.Directory, bin, "meshdev st"));
        // After a verb that takes a service: its options and the services of ./meshdev.yaml.
        var afterLogs = await CompleteAsync(cli.Directory, bin, "meshdev logs ");
        Assert.Contains("front", afterLogs);
        Assert.Contains("worker", afterLogs);
        Assert.Contains("--follow", afterLogs);
        Assert.Equal(["worker"], await CompleteAsync(cli.Directory, bin, "meshdev start w"));
        Assert.Contains("--watch", await CompleteAsync(cli.Directory, bin, "meshdev status --"));
    }

    /// <summary>What bash offers for <paramref name="line"/> (the cursor at its end) with the script loaded.</summary>
    private static async Task<string[]> CompleteAsync(string directory, string bin, string line)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("""
            source <(meshdev completion bash)
            COMP_LINE="$1"; COMP_POINT=${#1}; read -ra COMP_WORDS <<< "$1"
            [[ "$1" == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _meshdev_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """);
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(line);
        start.Environment["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Eventually.Deadline);
        Assert.True(process.ExitCode == 0, $"bash completion of '{line}' failed: {await stderr}");
        return [.. (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
    }
}
