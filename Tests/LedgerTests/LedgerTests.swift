// Tests of the Ledger module live beside this file.
