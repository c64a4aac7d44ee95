using Docker.DotNet.Models;
using MeshDev.Authoring.Compose;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing.Docker;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>
/// A compose file imported and run on the real engine (started with --bridge=none, so only the host network exists):
/// its web service reaches its database by compose's host name, rewritten to the database's mesh port.
/// </summary>
[Collection("docker")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ComposeImportRunTests(TestImages images)
{
    // Busybox httpd runs /www/cgi-bin/db for GET /cgi-bin/db, with the container's environment.
    private const string QueryScript = "#!/bin/sh\necho \"Content-Type: text/plain\"\necho\necho \"db says: $(wget -qO- \"$DATABASE_URL\")\"\n";

    [Fact]
    public async Task The_web_service_of_an_imported_compose_file_reaches_its_database_through_the_mesh()
    {
        var folder = Directory.CreateTempSubdirectory("meshdev-compose-run-").FullName;
        var project = $"meshdev-it-{Guid.NewGuid():N}";
        // What `docker compose build` would make of web's build: (compose names it {project}-{service}).
        var webImage = $"{project}-web";
        await images.Docker.Images.TagImageAsync(images.Busybox, new ImageTagParameters { RepositoryName = webImage, Tag = "latest" });
        try
        {
            WriteSite(folder);
            var composePath = Path.Combine(folder, "docker-compose.yml");
            ComposeImportResult? imported = null;
            var ports = new Dictionary<string, int>();
            await using var mesh = await TestMesh.StartAsync(m =>
            {
                ports["web"] = m.NewPort();
                ports["web mesh"] = m.NewPort();
                ports["db"] = m.NewPort();
                ports["db mesh"] = m.NewPort();
                File.WriteAllText(composePath, Compose(project, folder, ports));
                imported = ComposeImporter.Import(File.ReadAllText(composePath), composePath, sources: new ComposeSources(_ => null, _ => null));
                m.Generated(imported.Manifest!, new Dictionary<string, int> { ["web"] = ports["web mesh"], ["db"] = ports["db mesh"] });
            });

            Assert.Equal(
                [$"web DATABASE_URL: http://db:{ports["db"]}/ → http://127.0.0.1:{ports["db mesh"]}/"],
                imported!.Rewrites.Select(rewrite => rewrite.ToString()));
            Assert.DoesNotContain("network:", imported.Manifest, StringComparison.Ordinal);

            var body = await mesh.GetStringAsync("web", "/cgi-bin/db");

            Assert.Equal("db says: rows from db\n", body);
            // Nothing but web's own call launched the database: it went through db's mesh port.
            Assert.Equal(1, mesh.Status("db").Launches);
            Assert.Equal("host", (await images.Docker.SingleContainerAsync(mesh.MeshId, "web")).HostConfig.NetworkMode);
            Assert.Equal("host", (await images.Docker.SingleContainerAsync(mesh.MeshId, "db")).HostConfig.NetworkMode);
        }
        finally
        {
            await images.Docker.Images.DeleteImageAsync(webImage, new ImageDeleteParameters());
            Directory.Delete(folder, recursive: true);
        }
    }

    private string Compose(string project, string folder, Dictionary<string, int> ports) => $"""
        name: {project}
        services:
          web:
            build: ./web
            ports: ["{ports["web mesh"]}:{ports["web"]}"]
            environment:
              PORT: "{ports["web"]}"
              DATABASE_URL: http://db:{ports["db"]}/
            volumes: ["{folder}/web:/www:ro"]
          db:
            image: {images.Busybox}
            ports: ["{ports["db mesh"]}:{ports["db"]}"]
            environment:
              PORT: "{ports["db"]}"
            volumes: ["{folder}/db:/www:ro"]
        """;

    private static void WriteSite(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "web", "cgi-bin"));
        Directory.CreateDirectory(Path.Combine(folder, "db"));
        var script = Path.Combine(folder, "web", "cgi-bin", "db");
        File.WriteAllText(script, QueryScript);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(folder, "web", "index.html"), "web\n");
        File.WriteAllText(Path.Combine(folder, "db", "index.html"), "rows from db\n");
    }
}
