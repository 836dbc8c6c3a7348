using System.Diagnostics;

namespace Netlab.Web.Tests;

/// <summary>
/// There is no Docker engine on these machines; docker-compose 1.29 (Debian) still parses and
/// validates the file, so that is what is checked: the compose file and what it promises.
/// </summary>
public class DockerComposeTests
{
    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docker-compose.yml")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("docker-compose.yml not found above " + AppContext.BaseDirectory);
    }

    private static Task<(int Exit, string Output, string Error)> ComposeAsync(params string[] args) => RunAsync("docker-compose", args);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
        if (program == "docker-compose")
        {
            info.ArgumentList.Add("-f");
            info.ArgumentList.Add("docker-compose.yml");
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task The_compose_file_is_valid()
    {
        var (exit, _, error) = await ComposeAsync("config", "-q");
        Assert.True(exit == 0, error);
    }

    [Fact]
    public async Task It_builds_the_portal_keeps_data_on_a_volume_and_publishes_the_ports()
    {
        var (exit, config, error) = await ComposeAsync("config");
        Assert.True(exit == 0, error);
        Assert.Contains("dockerfile: Dockerfile", config);
        Assert.Contains("published: 5080", config.Replace("'", "").Replace("\"", ""));
        Assert.Contains("netlab-data:/data", config);
        Assert.Contains("Netlab__DataDirectory: /data", config);
        Assert.Contains("protocol: udp", config);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot(), "Dockerfile")));
    }

    [Fact]
    public async Task The_default_is_still_the_single_portal_and_the_scaleout_profile_adds_postgres_redis_two_instances_and_nginx()
    {
        var (exit, services, error) = await ComposeAsync("--profile", "scaleout", "config", "--services");
        Assert.True(exit == 0, error);
        Assert.Equal(["netlab", "nginx", "portal-a", "portal-b", "postgres", "redis"], services.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

        // `docker-compose up` without the profile starts only the services that name no profile: the single portal.
        (exit, var normalized, error) = await ComposeAsync("config");
        Assert.True(exit == 0, error);
        normalized = "\n" + normalized;
        var blocks = System.Text.RegularExpressions.Regex.Split(normalized[normalized.IndexOf("\nservices:\n", StringComparison.Ordinal)..].Split("\nvolumes:\n")[0], @"\n  (?=[a-z][\w-]*:\n)")
            .Skip(1).ToDictionary(b => b[..b.IndexOf(':')], b => b);
        Assert.DoesNotContain("profiles:", blocks["netlab"]);
        foreach (var name in new[] { "nginx", "portal-a", "portal-b", "postgres", "redis" })
            Assert.Contains("profiles:\n    - scaleout", blocks[name]);

        (exit, var config, error) = await ComposeAsync("--profile", "scaleout", "config");
        Assert.True(exit == 0, error);
        Assert.Contains("Netlab__Redis: redis:6379", config);
        Assert.Contains("Netlab__Database__Provider: Postgres", config);
        Assert.Contains("Netlab__Instance__Name: portal-a", config);
        Assert.Contains("Netlab__Instance__Name: portal-b", config);
        Assert.Contains("deploy/nginx-scaleout.conf:/etc/nginx/nginx.conf:ro", config);
    }

    [Fact]
    public async Task The_nginx_config_is_valid_sticky_and_passes_websockets_through()
    {
        var nginx = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);
        Assert.True(nginx is not null, "nginx is not installed: apt-get install nginx-light (.ci/run does).");
        var text = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "nginx-scaleout.conf"));
        Assert.Contains("ip_hash;", text);
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", text);
        Assert.Contains("proxy_set_header Connection $connection_upgrade;", text);

        // nginx -t resolves the upstream names, which exist only on the compose network: here they are loopback.
        var directory = Directory.CreateTempSubdirectory("netlab-nginx-").FullName;
        try
        {
            var file = Path.Combine(directory, "nginx.conf");
            await File.WriteAllTextAsync(file, text.Replace("portal-a:", "127.0.0.1:").Replace("portal-b:", "127.0.0.2:"));
            var (exit, output, error) = await RunAsync(nginx!, "-t", "-c", file, "-p", directory, "-e", Path.Combine(directory, "error.log"), "-g", $"pid {Path.Combine(directory, "nginx.pid")};");
            Assert.True(exit == 0, output + error);
            Assert.Contains("test is successful", error);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
