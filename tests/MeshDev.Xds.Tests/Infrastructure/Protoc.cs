using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using Google.Protobuf.Reflection;

namespace MeshDev.Xds.Tests.Infrastructure;

/// <summary>
/// Runs the <c>protoc</c> that ships in the Grpc.Tools package (the version Directory.Packages.props names) to compile
/// proto files to descriptor sets, ours (<c>proto/</c>) and the upstream Envoy API vendored with @grpc/grpc-js-xds
/// (<c>tests/js/node_modules/@grpc/grpc-js-xds/deps/</c>, installed by devtools/setup.sh).
/// </summary>
internal static class Protoc
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);
    private static readonly Lazy<string> Tools = new(FindGrpcTools);
    private static readonly Lazy<string> PatchedValidate = new(WritePatchedValidate);

    public static string RepositoryRoot => Root.Value;

    /// <summary><c>proto/</c>: our files, by their import paths (<c>envoy/config/core/v3/base.proto</c>…).</summary>
    public static string OurRoot => Path.Combine(RepositoryRoot, "proto");

    /// <summary>Our subset of upstream protos; not <c>meshdev/</c>, the control API, which is ours alone.</summary>
    public static IReadOnlyList<string> OurFiles =>
    [
        .. Directory.EnumerateFiles(OurRoot, "*.proto", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(OurRoot, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("meshdev/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal),
    ];

    public static string UpstreamDeps
    {
        get
        {
            var deps = Path.Combine(RepositoryRoot, "tests", "js", "node_modules", "@grpc", "grpc-js-xds", "deps");
            Assert.True(Directory.Exists(deps), $"{deps} is missing: run devtools/setup.sh (npm ci in tests/js)");
            return deps;
        }
    }

    /// <summary>The import path of the upstream Envoy API, its dependencies, and the well-known types.</summary>
    public static IReadOnlyList<string> UpstreamIncludes =>
    [
        Path.Combine(UpstreamDeps, "envoy-api"),
        Path.Combine(UpstreamDeps, "xds"),
        Path.Combine(UpstreamDeps, "googleapis"),
        PatchedValidate.Value,
        WellKnownTypes,
    ];

    public static IReadOnlyList<string> OurIncludes => [OurRoot, WellKnownTypes];

    public static string WellKnownTypes => Path.Combine(Tools.Value, "build", "native", "include");

    public static string Executable
    {
        get
        {
            var os = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macosx" : "linux";
            var arch = RuntimeInformation.OSArchitecture switch { Architecture.Arm64 => "arm64", Architecture.X86 => "x86", _ => "x64" };
            return Path.Combine(Tools.Value, "tools", $"{os}_{arch}", OperatingSystem.IsWindows() ? "protoc.exe" : "protoc");
        }
    }

    /// <summary>Compiles <paramref name="files"/> (import paths) with their imports into a descriptor set file.</summary>
    public static async Task<string> CompileAsync(IEnumerable<string> includes, IEnumerable<string> files)
    {
        var output = Path.Combine(Path.GetTempPath(), $"meshdev-xds-{Guid.NewGuid():N}.pb");
        await RunAsync([.. includes.Select(i => $"-I{i}"), "--include_imports", $"--descriptor_set_out={output}", .. files]);
        return output;
    }

    public static async Task<FileDescriptorSet> DescriptorsAsync(IEnumerable<string> includes, IEnumerable<string> files)
    {
        var path = await CompileAsync(includes, files);
        try
        {
            return FileDescriptorSet.Parser.ParseFrom(await File.ReadAllBytesAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Encodes text format as <paramref name="messageType"/>: protoc rejects unknown fields, wrong types and bad enum values.</summary>
    public static Task<string> EncodeAsync(string descriptorSet, string messageType, string textFormat) =>
        RunAsync([$"--descriptor_set_in={descriptorSet}", $"--encode={messageType}"], textFormat);

    private static async Task<string> RunAsync(IEnumerable<string> arguments, string? input = null)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        await stdout;
        var errors = await stderr;
        Assert.True(process.ExitCode == 0, $"protoc {string.Join(" ", start.ArgumentList)} failed with exit code {process.ExitCode}:{Environment.NewLine}{errors}");
        return errors;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds MeshDev.sln");
    }

    private static string FindGrpcTools()
    {
        var packages = typeof(Protoc).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;
        var version = XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion").Single(p => (string?)p.Attribute("Include") == "Grpc.Tools").Attribute("Version")!.Value;
        var tools = Path.Combine(packages, "grpc.tools", version);
        Assert.True(Directory.Exists(tools), $"Grpc.Tools {version} is not in {packages}; run dotnet restore");
        return tools;
    }

    /// <summary>
    /// The validate.proto vendored with grpc-js-xds predates <c>StringRules.ignore_empty</c> (field 26), which the
    /// vendored envoy/config/core/v3/protocol.proto uses in an option; protoc refuses the unknown option field.
    /// Validation options do not touch the wire format, so a temporary copy gets that one field.
    /// </summary>
    private static string WritePatchedValidate()
    {
        var source = Path.Combine(UpstreamDeps, "protoc-gen-validate", "validate", "validate.proto");
        var text = File.ReadAllText(source);
        const string Strict = "optional bool strict = 25 [default = true];";
        if (!text.Contains("ignore_empty", StringComparison.Ordinal))
        {
            Assert.Contains(Strict, text);
            text = text.Replace(Strict, Strict + "\n  optional bool ignore_empty = 26;", StringComparison.Ordinal);
        }

        var root = Directory.CreateTempSubdirectory("meshdev-validate-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "validate"));
        File.WriteAllText(Path.Combine(root, "validate", "validate.proto"), text);
        return root;
    }
}
