using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary><c>healthcheck</c> → <c>ready</c>.</summary>
public sealed class HealthcheckImportTests
{
    // The service is written as "services:\n  app:\n    image: app\n    ports: [\"80\"]\n    healthcheck: ROW": the value starts at 5:18.
    public static TheoryData<string, string, string[]> Healthchecks => new()
    {
        { "{test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/health\"]}", "ready:\n  exec: [curl, -f, http://localhost/health]\n", [] },
        { "{test: [CMD-SHELL, \"curl -f http://localhost/ || exit 1\"]}", "ready:\n  exec: [/bin/sh, -c, curl -f http://localhost/ || exit 1]\n", [] },
        { "{test: [CMD-SHELL, pg_isready, -U, postgres]}", "ready:\n  exec: [/bin/sh, -c, pg_isready -U postgres]\n", [] },
        { "{test: \"pg_isready -U postgres\"}", "ready:\n  exec: [/bin/sh, -c, pg_isready -U postgres]\n", [] },
        { "{test: [\"NONE\"]}", "ready:\n  tcp: true\n", [] },
        { "{disable: true}", "ready:\n  tcp: true\n", [] },
        { "{test: [CMD, check], disable: true}", "ready:\n  tcp: true\n", [] },
        { "{test: [CMD, check], disable: false}", "ready:\n  exec: [check]\n", [] },
        { "{test: [HTTP, /health]}", "", ["5:25: services.app.healthcheck.test must start with CMD, CMD-SHELL or NONE, or be one shell command (ignored)"] },
        { "{test: [CMD]}", "", ["5:25: services.app.healthcheck.test has no command (ignored)"] },
        { "{test: \"\"}", "", ["5:25: services.app.healthcheck.test has no command (ignored)"] },
        { "{test: [CMD-SHELL]}", "", ["5:25: services.app.healthcheck.test has no command (ignored)"] },
        {
            "{interval: 5s, start_period: 30s}", "",
            ["5:19: services.app.healthcheck interval, start_period are not needed: the mesh probes readiness at its own fast cadence (ignored)"]
        },
        {
            "{test: [CMD, check], timeout: 3s, probe: fast}", "ready:\n  exec: [check]\n",
            [
                "5:39: services.app.healthcheck timeout is not needed: the mesh probes readiness at its own fast cadence (ignored)",
                "5:52: services.app.healthcheck.probe is not supported (ignored)",
            ]
        },
        { "[CMD, check]", "", ["5:18: services.app.healthcheck must be a mapping (ignored)"] },
    };

    [Theory]
    [MemberData(nameof(Healthchecks))]
    public void Healthchecks_map_to_ready(string healthcheck, string expected, string[] findings)
    {
        var result = Import($"services:\n  app:\n    image: app\n    ports: [\"80\"]\n    healthcheck: {healthcheck}\n");

        Assert.Equal("runtime: docker\nimage: app\nport: 80\n" + expected, Service(result, "app"));
        Assert.Equal(findings, Findings(result));
    }

    [Fact]
    public void A_long_shell_check_is_written_one_word_per_line()
    {
        var result = Import("""
            services:
              app:
                image: app
                ports: ["80"]
                healthcheck:
                  test: ["CMD-SHELL", "wget --quiet --tries=1 --spider http://localhost:8080/actuator/health/readiness || exit 1"]
            """);

        Assert.Equal(
            "runtime: docker\nimage: app\nport: 80\nready:\n  exec:\n    - /bin/sh\n    - -c\n    - wget --quiet --tries=1 --spider http://localhost:8080/actuator/health/readiness || exit 1\n",
            Service(result, "app"));
    }
}
