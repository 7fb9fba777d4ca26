package dev.tollgate.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tollgate.config.Secret;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Reservation;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class TicketSealTest {
  private static final Secret K1 = new Secret("ticket-key-one-0123456789abcdef0123", "test k1");
  private static final Secret K2 = new Secret("ticket-key-two-0123456789abcdef0123", "test k2");
  private static final ReservationTicket TICKET =
      new ReservationTicket(
          "alice|ü",
          "conv 1",
          "web",
          "default",
          "gpt-4o-mini",
          "chat_completions",
          14,
          new Reservation(
              "Ab_9",
              1_764_000_000_000L,
              new Charge(214, 3500),
              List.of("user:alice|ü", "conversation:conv 1", "global")));

  @Test
  void aSealedTicketOpensToTheSameTicket() {
    TicketSeal seal = new TicketSeal(List.of(K1));
    assertEquals(TICKET, seal.open(seal.seal(TICKET)));
    ReservationTicket noConversation =
        new ReservationTicket(
            "bob",
            null,
            "web",
            "default",
            "gpt-4o",
            "responses",
            0,
            new Reservation("x", 1, Charge.ZERO, List.of()));
    assertEquals(noConversation, seal.open(seal.seal(noConversation)));
  }

  @Test
  void keysRotateWithOverlap() {
    String old = new TicketSeal(List.of(K1)).seal(TICKET);
    TicketSeal both = new TicketSeal(List.of(K2, K1));
    assertEquals(TICKET, both.open(old));
    assertEquals(TICKET, new TicketSeal(List.of(K2)).open(both.seal(TICKET)));
    assertThrows(InvalidTicketException.class, () -> new TicketSeal(List.of(K2)).open(old));
  }

  @Test
  void anAlteredRetargetedOrInventedTicketDoesNotOpen() {
    TicketSeal seal = new TicketSeal(List.of(K1));
    String sealed = seal.seal(TICKET);
    int dot = sealed.lastIndexOf('.');
    String payload =
        new String(Base64.getUrlDecoder().decode(sealed.substring(3, dot)), StandardCharsets.UTF_8);
    String retargeted =
        payload.replace("user%3Aalice", "user%3Amallory").replace("|214|", "|1000000000000|");
    String forged =
        "t1."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(retargeted.getBytes(StandardCharsets.UTF_8))
            + sealed.substring(dot);
    InvalidTicketException e = assertThrows(InvalidTicketException.class, () -> seal.open(forged));
    assertEquals("ticket seal does not verify", e.getMessage());
    for (String bad :
        new String[] {
          "",
          "r1|id|0|214|0|user%3Aalice",
          "t1.",
          "t1..",
          "t1.!!.!!",
          sealed + "x",
          "t1." + "A".repeat(9000),
          sealed.substring(0, dot)
        }) {
      assertThrows(InvalidTicketException.class, () -> seal.open(bad), bad);
    }
    assertThrows(InvalidTicketException.class, () -> seal.open(null));
  }

  @Test
  void theSealNeverShowsItsKeys() {
    String s = new TicketSeal(List.of(K1, K2)).toString();
    assertFalse(s.contains(K1.reveal()) || s.contains(K2.reveal()), s);
  }
}
