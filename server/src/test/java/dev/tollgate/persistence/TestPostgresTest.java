package dev.tollgate.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class TestPostgresTest {

  @Test
  void aRowCommittedBeforeARestartIsReadBackAfterIt() throws Exception {
    Path dataDir;
    try (TestPostgres pg = TestPostgres.start()) {
      assertTrue(
          pg.jdbcUrl().startsWith("jdbc:postgresql://127.0.0.1:" + pg.port() + "/"), pg.jdbcUrl());
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE quota (key text PRIMARY KEY, tokens bigint NOT NULL)");
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO quota VALUES (?, ?)")) {
          insert.setString(1, "team-a");
          insert.setLong(2, 42);
          assertEquals(1, insert.executeUpdate());
        }
        try (ResultSet rs =
            s.executeQuery("SELECT inet_server_addr()::text, current_setting('fsync')")) {
          assertTrue(rs.next());
          assertEquals("127.0.0.1/32", rs.getString(1));
          assertEquals("off", rs.getString(2));
        }
        try (ResultSet rs = s.executeQuery("SELECT current_setting('data_directory')")) {
          assertTrue(rs.next());
          dataDir = Path.of(rs.getString(1));
        }
      }

      int port = pg.port();
      pg.restart();
      assertEquals(port, pg.port());
      assertTrue(pg.isRunning());

      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT key, tokens FROM quota")) {
        assertTrue(rs.next());
        assertEquals("team-a", rs.getString(1));
        assertEquals(42, rs.getLong(2));
        assertFalse(rs.next());
        // the server never runs as root, whoever runs the tests
        try (ResultSet who = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
          assertTrue(who.next());
          Path proc = Path.of("/proc", Integer.toString(who.getInt(1)));
          assertNotEquals(0, (Integer) Files.getAttribute(proc, "unix:uid"));
        }
      }

      pg.stop();
      assertFalse(pg.isRunning());
      pg.startAgain();
      try (Connection c = pg.connect();
          ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM quota")) {
        assertTrue(rs.next());
        assertEquals(1, rs.getLong(1));
      }
    }
    assertFalse(Files.exists(dataDir), "close() deletes the data directory");
  }

  @Test
  void wrongPasswordIsRejected() {
    try (TestPostgres pg = TestPostgres.start()) {
      SQLException e =
          assertThrows(
              SQLException.class,
              () -> DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "wrong"));
      assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
    }
  }
}
