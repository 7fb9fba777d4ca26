package dev.tollgate; public final class Main { public static void main(String[] a) {} }
