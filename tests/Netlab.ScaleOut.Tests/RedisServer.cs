using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Netlab.Web.Tests.ScaleOut;

/// <summary>
/// A throwaway redis-server for the scale-out tests: on a free port, in a temporary folder, no
/// persistence, stopped (and its folder deleted) at the end. Missing binary: the test fails
/// saying what to install; it is never skipped.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string directory;

    private RedisServer(Process process, string directory, int port) => (this.process, this.directory, Port) = (process, directory, port);

    public int Port { get; }

    /// <summary>The StackExchange.Redis connection string (Netlab:Redis).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: apt-get install redis-server (.ci/run does).");
        // A port that was free a moment ago; if someone takes it meanwhile, redis-server exits and another is tried.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var directory = Directory.CreateTempSubdirectory("netlab-redis-").FullName;
            var info = new ProcessStartInfo(binary) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--daemonize", "no", "--logfile", "" })
                info.ArgumentList.Add(arg);
            var process = Process.Start(info)!;
            var output = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.Add(line);
                if (line.Contains("Ready to accept connections"))
                {
                    _ = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync() is not null) { } });
                    return new RedisServer(process, directory, port);
                }
            }
            await process.WaitForExitAsync(timeout.Token);
            Directory.Delete(directory, recursive: true);
            if (attempt == 3)
                throw new InvalidOperationException($"redis-server exited with {process.ExitCode}:\n{string.Join("\n", output)}\n{await process.StandardError.ReadToEndAsync()}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
