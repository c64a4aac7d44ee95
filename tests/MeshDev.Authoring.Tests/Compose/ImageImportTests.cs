using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary><c>image</c>, <c>build</c> and <c>pull_policy</c> → <c>image</c> and <c>pull</c>.</summary>
public sealed class ImageImportTests
{
    [Fact]
    public void Image_is_kept_as_written()
    {
        var result = Import("services:\n  app:\n    image: registry.example.com:5000/team/app:1.2@sha256:abc\n    ports: [\"80\"]\n");

        Assert.Equal("runtime: docker\nimage: registry.example.com:5000/team/app:1.2@sha256:abc\nport: 80\n", Service(result, "app"));
        Assert.Empty(Findings(result));
    }

    [Fact]
    public void Build_without_image_runs_the_image_compose_builds_named_after_the_folder()
    {
        var result = Import("services:\n  Orders_API:\n    build: ./orders\n    ports: [\"80\"]\n");

        Assert.Equal("runtime: docker\nimage: shop-orders_api\npull: never\nport: 80\n", Service(result, "orders-api"));
        Assert.Equal(
        [
            "2:3: services.Orders_API is named orders-api in the manifest: service names must be DNS labels (lowercase letters, digits and '-')",
            "3:5: services.Orders_API.build: built by compose; build it first with `docker build -t shop-orders_api shop/orders` or `docker compose build` " +
                "(the manifest runs its image shop-orders_api)",
        ], Findings(result));
    }

    [Theory]
    [InlineData("name: My Shop!\n", null, "myshop-api")]
    [InlineData("name: ${PROJECT:-acme}\n", null, "acme-api")]
    [InlineData("name: acme\n", "override", "override-api")]
    [InlineData("", "_Team.Shop", "teamshop-api")]
    public void The_project_name_is_COMPOSE_PROJECT_NAME_then_name_then_the_folder(string top, string? environment, string image)
    {
        var variables = environment is null ? null : new Dictionary<string, string> { ["COMPOSE_PROJECT_NAME"] = environment };

        var result = Import(top + "services:\n  api:\n    build: .\n    ports: [\"80\"]\n", variables);

        Assert.Contains($"\nimage: {image}\n", Service(result, "api"));
    }

    [Fact]
    public void Build_with_image_runs_that_image()
    {
        var result = Import("services:\n  api:\n    image: acme/api:dev\n    build:\n      context: .\n    ports: [\"80\"]\n");

        Assert.Equal("runtime: docker\nimage: acme/api:dev\npull: never\nport: 80\n", Service(result, "api"));
        Assert.Equal(
            ["4:5: services.api.build: built by compose; build it first with `docker build -t acme/api:dev shop` or `docker compose build` (the manifest runs its image acme/api:dev)"],
            Findings(result));
    }

    [Theory]
    [InlineData("build: .", "docker build -t shop-api shop")]
    [InlineData("build:\n      dockerfile: Dockerfile.dev", "docker build -t shop-api -f shop/Dockerfile.dev shop")]
    [InlineData("build:\n      context: ./api\n      dockerfile: docker/Dockerfile", "docker build -t shop-api -f shop/api/docker/Dockerfile shop/api")]
    [InlineData("build:\n      context: /src/my api", "docker build -t shop-api '/src/my api'")]
    [InlineData("build: ${API_DIR:-./api}", "docker build -t shop-api shop/api")]
    [InlineData("build: https://github.com/acme/api.git#main", "docker build -t shop-api https://github.com/acme/api.git#main")]
    public void Build_finding_gives_the_docker_build_command_for_an_engine_without_compose(string build, string command)
    {
        var result = Import($"services:\n  api:\n    {build}\n    ports: [\"80\"]\n");

        var finding = Assert.Single(Findings(result));
        Assert.Contains($"build it first with `{command}` or `docker compose build`", finding, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_with_an_inline_dockerfile_is_left_to_compose()
    {
        var result = Import("services:\n  api:\n    build:\n      dockerfile_inline: FROM busybox\n    ports: [\"80\"]\n");

        Assert.Equal(["3:5: services.api.build: built by compose; build it first with `docker compose build` (the manifest runs its image shop-api)"], Findings(result));
    }

    [Theory]
    [InlineData("always", "pull: always\n", null)]
    [InlineData("never", "pull: never\n", null)]
    [InlineData("missing", "", null)]
    [InlineData("if_not_present", "", null)]
    [InlineData("build", "pull: never\n", null)]
    [InlineData("daily", "", "4:18: services.app.pull_policy 'daily' is not supported; the manifest pulls when the image is missing")]
    public void Pull_policy_maps_to_pull(string policy, string expected, string? finding)
    {
        var result = Import($"services:\n  app:\n    image: app\n    pull_policy: {policy}\n    ports: [\"80\"]\n");

        Assert.Equal("runtime: docker\nimage: app\n" + expected + "port: 80\n", Service(result, "app"));
        Assert.Equal(finding is null ? [] : [finding], Findings(result));
    }

    [Fact]
    public void Depends_on_as_a_list_or_with_conditions_names_the_manifest_services()
    {
        var result = Import("""
            services:
              api:
                image: api
                ports: ["80"]
                depends_on:
                  my_db:
                    condition: service_healthy
                  cache:
                    condition: service_started
                    required: false
                  migrate:
                    condition: service_completed_successfully
                  ghost:
                    condition: service_started
              web:
                image: web
                ports: ["81"]
                depends_on: [api, nobody]
              my_db: { image: postgres }
              cache: { image: redis }
              migrate: { image: migrate, expose: ["1"] }
            """);

        Assert.Contains("\ndependsOn: [my-db, cache, migrate]\n", Service(result, "api"));
        Assert.Contains("\ndependsOn: [api]\n", Service(result, "web"));
        Assert.Equal(
        [
            "12:20: services.api.depends_on.migrate: the mesh does not wait for a service to complete; it launches migrate first and waits until it is ready",
            "13:7: services.api.depends_on 'ghost' is not a service of this file (ignored)",
            "18:23: services.web.depends_on 'nobody' is not a service of this file (ignored)",
            "19:3: services.my_db is named my-db in the manifest: service names must be DNS labels (lowercase letters, digits and '-')",
        ], Findings(result));
    }

    [Theory]
    [InlineData("10s", "10s")]
    [InlineData("1m30s", "90s")]
    [InlineData("2m", "2m")]
    [InlineData("1h", "1h")]
    [InlineData("1.5s", "1500ms")]
    [InlineData("250ms", "250ms")]
    [InlineData("0s", "0s")]
    public void Stop_grace_period_becomes_a_manifest_duration(string compose, string manifest)
    {
        var result = Import($"services:\n  app:\n    image: app\n    ports: [\"80\"]\n    stop_grace_period: {compose}\n");

        Assert.Equal($"runtime: docker\nimage: app\nport: 80\nstopGracePeriod: {manifest}\n", Service(result, "app"));
        Assert.Empty(Findings(result));
    }

    [Fact]
    public void A_stop_grace_period_that_is_not_a_duration_is_reported()
    {
        var result = Import("services:\n  app:\n    image: app\n    ports: [\"80\"]\n    stop_grace_period: soon\n");

        Assert.Equal("runtime: docker\nimage: app\nport: 80\n", Service(result, "app"));
        Assert.Equal(["5:24: services.app.stop_grace_period 'soon' is not a duration like 10s or 1m30s (ignored)"], Findings(result));
    }
}
