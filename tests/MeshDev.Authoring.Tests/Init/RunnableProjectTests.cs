using MeshDev.Authoring.Init;

namespace MeshDev.Authoring.Tests.Init;

/// <summary>Which project files are services, read without MSBuild.</summary>
public sealed class RunnableProjectTests : IDisposable
{
    private readonly InitWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk.Web/10.0.100\"></Project>")]
    [InlineData("<Project><Sdk Name=\"Microsoft.NET.Sdk.Web\" /></Project>")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType></PropertyGroup><ItemGroup><FrameworkReference Include=\"Microsoft.AspNetCore.App\" /></ItemGroup></Project>")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>exe</OutputType></PropertyGroup><ItemGroup><PackageReference Include=\"Grpc.AspNetCore\" Version=\"2.64.0\" /></ItemGroup></Project>")]
    public void Web_and_grpc_apps_are_services(string xml)
    {
        Assert.Null(RunnableProject.SkipReason(Read(xml)));
    }

    [Theory]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk\"></Project>", "a class library (no Web SDK, no OutputType Exe)")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><OutputType>Library</OutputType></PropertyGroup></Project>", "a class library (OutputType Library)")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType></PropertyGroup></Project>", "a console app that references neither ASP.NET Core nor Grpc.AspNetCore")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><IsTestProject>true</IsTestProject></PropertyGroup></Project>", "a test project")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Microsoft.NET.Test.Sdk\" /><PackageReference Include=\"Microsoft.AspNetCore.Mvc.Testing\" /></ItemGroup></Project>", "a test project (it references Microsoft.NET.Test.Sdk)")]
    [InlineData("<Project Sdk=\"MSTest.Sdk/3.6.0\"></Project>", "a test project")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk\"><Sdk Name=\"Aspire.AppHost.Sdk\" Version=\"9.0.0\" /><PropertyGroup><OutputType>Exe</OutputType></PropertyGroup></Project>", "an Aspire AppHost (it starts the other projects itself)")]
    public void Libraries_tests_and_other_apps_are_skipped_with_why(string xml, string reason)
    {
        Assert.Equal(reason, RunnableProject.SkipReason(Read(xml)));
    }

    [Fact]
    public void Old_style_project_files_in_the_msbuild_namespace_are_read_too()
    {
        var project = Read("<Project ToolsVersion=\"15.0\" xmlns=\"http://schemas.microsoft.com/developer/msbuild/2003\"><PropertyGroup><OutputType>Library</OutputType></PropertyGroup></Project>");

        Assert.Equal("Library", project.Property("OutputType"));
        Assert.Equal("a class library (no Web SDK, no OutputType Exe)", RunnableProject.SkipReason(project));
    }

    [Fact]
    public void Server_protos_are_those_with_GrpcServices_Server_or_Both_or_unset_including_wildcards()
    {
        _workspace.Write("Api/Protos/a.proto", "");
        _workspace.Write("Api/Protos/b.proto", "");
        _workspace.Write("Api/Protos/nested/c.proto", "");
        _workspace.Write("shared/d.proto", "");
        _workspace.Write("shared/client.proto", "");
        var path = _workspace.WebProject("Api", """
              <ItemGroup>
                <Protobuf Include="Protos\*.proto" GrpcServices="Server" />
                <Protobuf Include="Protos\**\c.proto" />
                <Protobuf Include="..\shared\d.proto"><GrpcServices>Both</GrpcServices></Protobuf>
                <Protobuf Include="..\shared\client.proto" GrpcServices="Client" />
                <Protobuf Include="Protos\missing.proto" />
              </ItemGroup>
            """);

        var project = ProjectFile.Read(path);

        Assert.Equal(
            [.. new[] { "Api/Protos/a.proto", "Api/Protos/b.proto", "Api/Protos/nested/c.proto", "shared/d.proto" }.Select(p => Path.Combine(_workspace.Directory, p))],
            project.ServerProtos.ToArray());
    }

    private ProjectFile Read(string xml) => ProjectFile.Read(_workspace.Write("P/P.csproj", xml));
}
