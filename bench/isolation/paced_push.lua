-- wrk script of bench/isolation/run: bench/webhook's flood.lua (signed pushes, each with a delivery
-- id of its own, the 202s' runs written to $FLOOD_RUN_IDS), paced: each connection waits
-- $PUSH_DELAY_MS before each push. Arguments as flood.lua's.
dofile(os.getenv("FLOOD_LUA"))

function delay()
  return tonumber(os.getenv("PUSH_DELAY_MS"))
end
