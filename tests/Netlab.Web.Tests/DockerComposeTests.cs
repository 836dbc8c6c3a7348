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

    private static async Task<(int Exit, string Output, string Error)> ComposeAsync(params string[] args)
    {
        var info = new ProcessStartInfo("docker-compose") { WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add("docker-compose.yml");
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
}
