namespace Netlab.Web.Data;

/// <summary>A start-up problem the user can fix; Program prints its message (no stack trace) and exits non-zero.</summary>
public sealed class StartupProblemException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One portal per data folder: a second one on the same folder would take the first one's running
/// runs and servers for the leftovers of a crash and mark them Interrupted. The lock is an
/// exclusive lock on a file in the folder, held for the life of the process and released by the
/// operating system even when the process is killed.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream file;

    private DataDirectoryLock(FileStream file) => this.file = file;

    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "netlab.lock");
        try
        {
            return new DataDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new StartupProblemException($"Another Netlab portal is using the data folder {dataDirectory} (it holds {path}). " +
                "Stop it, or give this one its own folder with Netlab:DataDirectory.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StartupProblemException($"The data folder {dataDirectory} cannot be written: {e.Message} " +
                "Give the portal a folder it may write with Netlab:DataDirectory.", e);
        }
    }

    public void Dispose() => file.Dispose();
}
