using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Netlab.Web.Data;

/// <summary>
/// synchronous=NORMAL on every SQLite connection (a per-connection setting). In WAL mode that
/// syncs the log at checkpoints instead of at every commit: a commit survives the portal being
/// killed (the design's case), only the last ones may be lost if the machine itself loses power,
/// and the database is never corrupted. With FULL (the default) every batch of events waited for
/// its own fsync, and the event writer, the one writer, waited with it.
/// </summary>
public sealed class SqliteDurability : DbConnectionInterceptor
{
    public static SqliteDurability Instance { get; } = new();

    private const string Pragma = "PRAGMA synchronous=NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
