using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Netlab.Web.Tests.ScaleOut;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb into a temporary folder, a free port, trust
/// authentication on loopback, removed at the end. (Stand-in until the database branch's fixture is merged.)
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string directory;

    private PostgresServer(Process process, string directory, int port) => (this.process, this.directory, Port) = (process, directory, port);

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database=postgres;Username=netlab";

    /// <summary>The settings a portal process needs to use it.</summary>
    public IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        ["Netlab__Database__Provider"] = "Postgres",
        ["ConnectionStrings__Netlab"] = ConnectionString,
    };

    private static string Binary(string name) =>
        Directory.Exists("/usr/lib/postgresql") && Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", name)).FirstOrDefault(File.Exists) is { } path
            ? path
            : throw new InvalidOperationException($"PostgreSQL's {name} is not installed: apt-get install postgresql (.ci/run does).");

    public static async Task<PostgresServer> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("netlab-pg-").FullName;
        var data = Path.Combine(directory, "data");
        // PostgreSQL refuses to run as root: as root, run it as the postgres user.
        var asRoot = Environment.UserName == "root";
        if (asRoot)
            await RunAsync("chown", "postgres", directory);
        await RunAsync(asRoot ? "runuser" : Binary("initdb"), [.. (asRoot ? new[] { "-u", "postgres", "--", Binary("initdb") } : []), "-D", data, "-U", "netlab", "--auth=trust", "--no-sync", "-E", "UTF8"]);
        var port = FreePort();
        var info = new ProcessStartInfo(asRoot ? "runuser" : Binary("postgres")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (asRoot ? new[] { "-u", "postgres", "--", Binary("postgres") } : []).Concat(["-D", data, "-p", port.ToString(), "-k", directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]))
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new List<string>();
        while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            output.Add(line);
            if (line.Contains("database system is ready to accept connections"))
            {
                _ = Task.Run(async () => { while (await process.StandardError.ReadLineAsync() is not null) { } });
                return new PostgresServer(process, directory, port);
            }
        }
        throw new InvalidOperationException("postgres did not start:\n" + string.Join("\n", output));
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {p.ExitCode}: {await output}{await error}");
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
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
