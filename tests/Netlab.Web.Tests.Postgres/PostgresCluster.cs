using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Netlab.Web.Tests;

/// <summary>
/// A throwaway PostgreSQL cluster for this test run: Debian's initdb into a temporary folder, the
/// server on a free loopback port with its socket in that folder, trust authentication and no
/// fsync. Started on first use, stopped and deleted when the test process exits. Every portal gets
/// its own database, named after its data folder, so a portal restarted on the same folder finds
/// its database again (as it finds netlab.db on SQLite). Missing binaries fail the tests, saying
/// what to install.
/// </summary>
public sealed class PostgresCluster
{
    private static readonly Lazy<PostgresCluster> shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    public static PostgresCluster Shared => shared.Value;

    private readonly string binDirectory;
    private readonly string root;
    private readonly string? runAs;

    private PostgresCluster(string binDirectory, string root, string? runAs, int port)
    {
        this.binDirectory = binDirectory;
        this.root = root;
        this.runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    private string DataFolder => Path.Combine(root, "data");

    /// <summary>The connection string of a database of this cluster (EF's migration creates it on first use).</summary>
    public string ConnectionString(string database) =>
        // Many short-lived portals each have a pool: idle connections go soon so they never add up.
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Connection Idle Lifetime=2;Connection Pruning Interval=1";

    /// <summary>The database of the portal whose data folder this is.</summary>
    public string ConnectionStringFor(string dataDirectory) =>
        ConnectionString("netlab_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..24]);

    private static PostgresCluster Start()
    {
        var bin = FindBinaries();
        var root = Path.Combine(Path.GetTempPath(), "netlab-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        // initdb and postgres refuse to run as root: then they run as nobody, in a folder it may write.
        var runAs = Environment.UserName == "root" ? "nobody" : null;
        if (runAs is not null && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        try
        {
            Run(bin, runAs, "initdb", "-D", Path.Combine(root, "data"), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8");
            // postgres takes no port 0: a port free a moment ago, and another one if it was taken meanwhile.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort();
                var cluster = new PostgresCluster(bin, root, runAs, port);
                try
                {
                    cluster.StartServer();
                    cluster.StopWhenTheTestsEnd();
                    return cluster;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                }
            }
        }
        catch
        {
            TryDelete(root);
            throw;
        }
    }

    private void StartServer()
    {
        var options = string.Join(' ',
            $"-p {Port}", $"-k {root}", "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c synchronous_commit=off",
            "-c full_page_writes=off", "-c max_connections=300", "-c shared_buffers=16MB");
        Run(binDirectory, runAs, "pg_ctl", "-D", DataFolder, "-l", Path.Combine(root, "postgres.log"), "-o", options, "-w", "-t", "60", "start");
    }

    /// <summary>
    /// A watcher in its own session stops the server and deletes the folder once this test process
    /// has exited, however it ends: the test host may be killed before exit handlers finish.
    /// </summary>
    private void StopWhenTheTestsEnd()
    {
        var pgCtl = Path.Combine(binDirectory, "pg_ctl");
        var stop = runAs is null ? $"'{pgCtl}'" : $"runuser -u {runAs} -- '{pgCtl}'";
        var script = $"exec >/dev/null 2>&1 </dev/null; tail --pid={Environment.ProcessId} -f /dev/null; " +
            $"{stop} -D '{DataFolder}' -m immediate -w stop; rm -rf '{root}'";
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "sh", "-c", script })
            info.ArgumentList.Add(argument);
        Process.Start(info)!.Dispose();
    }

    private static string FindBinaries()
    {
        var candidates = new List<string>();
        try
        {
            var pgConfig = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = pgConfig.StandardOutput.ReadToEnd().Trim();
            pgConfig.WaitForExit();
            if (pgConfig.ExitCode == 0)
                candidates.Add(output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config: try Debian's folders.
        }
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")) && File.Exists(Path.Combine(d, "postgres")))
            ?? throw new InvalidOperationException("The PostgreSQL tests need a PostgreSQL server's binaries (initdb, pg_ctl, postgres), found neither through " +
                "pg_config --bindir nor under /usr/lib/postgresql/*/bin. Install them: apt-get install postgresql");
    }

    private static void Run(string bin, string? runAs, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(runAs is null ? Path.Combine(bin, program) : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (runAs is not null)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(runAs);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(Path.Combine(bin, program));
        }
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        // Both pipes read at once: pg_ctl's server inherits neither (it logs to a file), so they end with it.
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output.Result}{errors.Result}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
