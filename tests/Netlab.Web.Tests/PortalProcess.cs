using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Netlab.Web.Tests;

/// <summary>
/// The portal as a real separate process (the built Netlab.Web.dll), on a free port, so a test
/// can kill it the hard way and start it again on the same data folder.
/// </summary>
public sealed partial class PortalProcess : IAsyncDisposable
{
    private readonly Process process;

    private PortalProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>A client signed in with the administrator's key (<see cref="TestAccounts"/>).</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", TestAccounts.AdminKey);
        return client;
    }

    /// <summary>Starts the portal on the given URL ("http://127.0.0.1:0" = any free port).</summary>
    /// <param name="bootstrap">Whether the portal starts with the test administrator (<see cref="TestAccounts"/>); without, it has no account at all.</param>
    /// <param name="databaseOf">The data folder whose database this portal uses (on PostgreSQL, another portal's: instances share one); its own by default.</param>
    /// <param name="environment">More settings (environment variables), after the test ones.</param>
    public static async Task<PortalProcess> StartAsync(string dataDirectory, string url = "http://127.0.0.1:0", bool bootstrap = true,
        string? databaseOf = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = typeof(Program).Assembly.Location;
        Directory.CreateDirectory(dataDirectory);
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        info.Environment["Netlab__DataDirectory"] = dataDirectory;
        foreach (var (key, value) in TestDatabase.Settings(databaseOf ?? dataDirectory))
            info.Environment[key.Replace(":", "__")] = value;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        if (bootstrap)
            foreach (var (name, value) in TestAccounts.Environment)
                info.Environment[name] = value;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        var process = Process.Start(info)!;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line && errors.Count < 200) errors.Enqueue(line); };
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new List<string>();
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.Add(line);
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                // Keep draining stdout so the process never blocks on a full pipe.
                _ = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync() is not null) { } });
                return new PortalProcess(process, new Uri(match.Groups[1].Value));
            }
        }
        await process.WaitForExitAsync(timeout.Token);
        throw new PortalExitedException(process.ExitCode, string.Join("\n", output.Concat(errors)));
    }

    /// <summary>SIGKILL: no shutdown code runs, as when the machine or the process dies.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
            await KillAsync();
        process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}

/// <summary>The portal process ended before it listened: its exit code and what it printed.</summary>
public sealed class PortalExitedException(int exitCode, string output) : Exception($"The portal exited with {exitCode} before listening:\n{output}")
{
    public int ExitCode { get; } = exitCode;
    public string Output { get; } = output;
}
