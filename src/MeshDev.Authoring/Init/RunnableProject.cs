namespace MeshDev.Authoring.Init;

/// <summary>
/// Which projects become services: web and gRPC apps (the Web SDK, or an executable that references ASP.NET Core or
/// Grpc.AspNetCore). Class libraries, test projects, Aspire AppHosts and plain console apps are skipped, each with why.
/// </summary>
internal static class RunnableProject
{
    private static readonly string[] TestPackages = ["Microsoft.NET.Test.Sdk", "xunit", "xunit.v3", "NUnit", "MSTest", "MSTest.TestFramework", "TUnit"];

    private static readonly string[] ServerPackages = ["Grpc.AspNetCore", "Grpc.AspNetCore.Server"];

    /// <summary>Null when <paramref name="project"/> is a web or gRPC app; else why it is not a service.</summary>
    public static string? SkipReason(ProjectFile project)
    {
        if (IsTrue(project.Property("IsTestProject")) || project.HasSdk("MSTest.Sdk"))
        {
            return "a test project";
        }

        if (TestPackages.FirstOrDefault(project.References) is { } testPackage)
        {
            return $"a test project (it references {testPackage})";
        }

        if (project.HasSdk("Aspire.AppHost.Sdk") || IsTrue(project.Property("IsAspireHost")))
        {
            return "an Aspire AppHost (it starts the other projects itself)";
        }

        var outputType = project.Property("OutputType");
        if (project.HasSdk("Microsoft.NET.Sdk.Web"))
        {
            return outputType is null || IsExecutable(outputType) ? null : $"a class library (OutputType {outputType})";
        }

        if (outputType is null || !IsExecutable(outputType))
        {
            return "a class library (no Web SDK, no OutputType Exe)";
        }

        var isServer = project.FrameworkReferences.Contains("Microsoft.AspNetCore.App", StringComparer.OrdinalIgnoreCase)
            || ServerPackages.Any(project.References);
        return isServer ? null : "a console app that references neither ASP.NET Core nor Grpc.AspNetCore";
    }

    private static bool IsExecutable(string outputType) =>
        outputType.Equals("Exe", StringComparison.OrdinalIgnoreCase) || outputType.Equals("WinExe", StringComparison.OrdinalIgnoreCase);

    private static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
}
